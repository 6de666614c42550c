"""`lifecheck report`: the design documents, end to end on the tutorial's small lifecycle.

The full report of every spec is compared with the committed diagrams/ in
test_diagrams_fresh.py; here the report of one small lifecycle is built, written,
checked for staleness and snapshotted, and the bad inputs give clear errors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lifecheck.cli import main as cli_main
from lifecheck.cli.report import report_command as main
from lifecheck.diagrams.dot import legible, smallest_text_px
from lifecheck.diagrams.report import build_report, check_for_report, differences, write_report
from lifecheck.errors import ModelError
from lifecheck.explore.verdict import check_spec
from lifecheck.modelling.spec import load_specs
from tests.snapshot import assert_snapshot

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = str(ROOT / "specs" / "tutorial_lease.py")


@pytest.fixture(scope="module")
def report():
    return build_report(load_specs(TUTORIAL))


def test_one_document_per_lifecycle_with_its_diagrams(report):
    files = set(report.files)
    assert {"README.md", "lease-handover.md"} <= files
    for design in ("lease-handover", "check-lease-first", "fenced-writes"):
        assert {f"lease-handover/{design}.pool.dot", f"lease-handover/{design}.pool.svg"} <= files
    # A sequence diagram for every violation, a state graph for every spec.
    for spec in ("first.no-crash", "check-first.no-crash"):
        assert f"lease-handover/{spec}.no-stale-write.svg" in files
    for spec in ("first.no-crash", "check-first.no-crash", "fenced.no-crash", "fenced.crash"):
        assert f"lease-handover/{spec}.states.svg" in files


def test_every_diagram_the_document_names_is_written(report):
    doc = report.files["lease-handover.md"]
    linked = re.findall(r"\]\(([^)#]+\.(?:svg|md))\)", doc)
    assert linked
    for target in linked:
        assert target in report.files or target == "verdicts.md", target
    assert doc.count("```mermaid") == 2


def test_the_document_snapshot(report):
    assert_snapshot("report_lease_handover.md", report.files["lease-handover.md"])


def test_the_index_snapshot(report):
    assert_snapshot("report_index.md", report.files["README.md"])


def test_the_report_is_the_same_on_every_run(report):
    again = build_report(load_specs(TUTORIAL))
    assert again.files == report.files


def test_the_report_checks_what_check_spec_checks():
    for spec in load_specs(TUTORIAL):
        mine, theirs = check_for_report(spec).result.to_json(), check_spec(spec).to_json()
        for r in (mine, theirs):
            r.pop("seconds"), r.pop("states_per_second")
        assert mine == theirs


def test_every_svg_is_legible_at_page_width(report):
    for name, text in report.files.items():
        if name.endswith(".svg"):
            assert legible(text), f"{name}: smallest text {smallest_text_px(text):.1f} px at page width"


def test_write_then_check_then_stale(report, tmp_path, capsys):
    out = tmp_path / "diagrams"
    assert write_report(report, out) == []
    assert differences(report, out) == []
    assert main([TUTORIAL], out=str(out), check=True) == 0
    assert "up to date" in capsys.readouterr().out

    edited = (out / "lease-handover.md").read_text() + "edited by hand\n"  # the mark stays
    (out / "lease-handover.md").write_text(edited)
    (out / "lease-handover" / "first.no-crash.states.svg").unlink()
    # A diagram report wrote for a spec since renamed: stale. One drawn by hand: not ours.
    (out / "lease-handover" / "renamed-spec.states.svg").write_text(
        report.files["lease-handover/fenced.crash.states.svg"])
    (out / "lease-handover" / "hand-drawn.svg").write_text("<svg/>")
    (out / "lease-handover" / "notes.txt").write_text("not ours")
    assert main([TUTORIAL], out=str(out), check=True) == 1
    printed = capsys.readouterr().out
    assert "changed  lease-handover.md" in printed
    assert "missing  lease-handover/first.no-crash.states.svg" in printed
    assert "stale    lease-handover/renamed-spec.states.svg" in printed
    assert "notes.txt" not in printed and "hand-drawn.svg" not in printed
    assert (out / "lease-handover.md").read_text() == edited  # --check writes nothing

    assert main([TUTORIAL], out=str(out), check=False) == 0
    assert differences(report, out) == []
    assert not (out / "lease-handover" / "renamed-spec.states.svg").exists()
    assert (out / "lease-handover" / "notes.txt").exists()  # not a diagram: left alone
    assert (out / "lease-handover" / "hand-drawn.svg").read_text() == "<svg/>"  # not ours: left alone
    assert not list(out.rglob("*.tmp"))


def test_the_cli_runs_report(tmp_path):
    out = tmp_path / "d"
    assert cli_main(["report", TUTORIAL, "--out", str(out)]) == 0
    assert (out / "lease-handover.md").exists()
    assert cli_main(["report", TUTORIAL, "--out", str(out), "--check"]) == 0


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    assert cli_main(["report", str(tmp_path / "nope.py"), "--out", str(tmp_path)]) == 2
    assert "no such spec file or folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli_main(["report", str(empty), "--out", str(tmp_path)]) == 2
    assert "no specs found" in capsys.readouterr().err


def test_a_spec_may_choose_its_projection():
    spec = load_specs(TUTORIAL + "::lease-handover/first/no-crash")[0]
    spec.projection = ("granted",)  # a Spec field once the engine has one (see checker/report.py)
    doc = build_report([spec]).files
    dot_text = doc["lease-handover/first.no-crash.states.dot"]
    assert "granted=0" in dot_text and "granted=2" in dot_text
    spec.projection = ("no_such_field",)
    with pytest.raises(ModelError, match="projection names unknown field"):
        build_report([spec])
    spec.projection = lambda state: state["missing"]
    with pytest.raises(ModelError, match="projection raised KeyError"):
        build_report([spec])


def test_a_symmetric_spec_gets_no_graph_and_says_why():
    name = "extraction/rename/2-brokers/crash/symmetric"
    spec = load_specs(str(ROOT / "specs" / "extraction.py") + "::" + name)[0]
    checked = check_for_report(spec)
    assert checked.graph is None and "symmetry" in checked.no_graph
    assert checked.result.verdict == "holds"


# -- the tutorial: its code is the repository's, its outputs are what the commands print ----

TUTORIAL_DOC = ROOT / "docs" / "tutorial.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", TUTORIAL_DOC.read_text(), flags=re.S)


def test_the_tutorial_shows_the_real_code():
    sources = "".join((ROOT / folder / "tutorial_lease.py").read_text() for folder in ("models", "specs"))
    blocks = _blocks("python")
    assert len(blocks) == 7
    for block in blocks:
        assert block in sources, f"the tutorial shows code that is not in the tutorial's files:\n{block}"


def test_the_tutorial_shows_the_real_output(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    shown = [b for b in _blocks("text") if b.startswith("$ lifecheck ")]
    assert len(shown) == 2
    for block in shown:
        command, _, expected = block.partition("\n")
        cli_main(command.split()[2:])
        assert capsys.readouterr().out == expected, f"the output of `{command[2:]}` has changed"


def test_the_tutorial_links_exist():
    for target in re.findall(r"\]\((\.\./[^)#]+)\)", TUTORIAL_DOC.read_text()):
        assert (TUTORIAL_DOC.parent / target).exists(), target


# -- what cannot be drawn is said, not crashed on ---------------------------------------

ODD_SPECS = '''"""Odd specs: one whose model is broken, one that hits its bound."""
from lifecheck import Bounds, Model, Process, Spec, action, always, incomplete, require, role, volatile


class Counter(Process):
    n = volatile(0)


class Counting(Model):
    """Counts up forever."""
    counters = role(Counter)

    @action(Counter)
    def tick(self, c):
        c.n += 1

    @always
    def small(self):
        """Never mind."""
        return True


class Broken(Counting):
    """Stores a list, which is not a state value."""

    @action(Counter)
    def tick(self, c):
        c.n = [1]


SPECS = [
    Spec("odd/bounded", Counting(), incomplete(), bounds=Bounds(max_states=5)),
    Spec("odd/broken", Broken(), incomplete()),
]
'''


def test_a_broken_or_bounded_spec_is_reported_without_diagrams(tmp_path):
    spec_file = tmp_path / "odd.py"
    spec_file.write_text(ODD_SPECS)
    report = build_report(load_specs(str(spec_file)))
    doc = report.files["odd.md"]
    assert "No state graph: the exploration is incomplete (state bound 5 reached)." in doc
    assert "**error**" in doc and "which can change after it is stored" in " ".join(doc.split())
    assert "From `odd.py`. Every" in doc  # the models are in the spec file: named once
    # A partial graph would draw a partial machine as if it were the whole: none is drawn.
    assert doc.count("No state machine is drawn for this design") == 2
    assert not [name for name in report.files if name.endswith(".svg")]


def test_out_must_be_a_folder(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    assert cli_main(["report", TUTORIAL, "--out", str(target)]) == 2
    assert "must be a folder" in capsys.readouterr().err
    assert target.read_text() == "x"


def test_without_graphviz_the_error_says_what_to_install(tmp_path, capsys, monkeypatch):
    import graphviz

    def missing(*args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot", "-Tsvg"])

    monkeypatch.setattr(graphviz.Source, "pipe", missing)
    assert cli_main(["report", TUTORIAL, "--out", str(tmp_path / "d")]) == 2
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()  # nothing half-written


# -- a design whose specs have different numbers of processes ----------------------------

SHRINKING_SPECS = '''"""Counters: the first spec has three, the second two."""
from lifecheck import Model, Process, Spec, action, always, holds, parameter, require, role, volatile


class Counter(Process):
    n = volatile(0)


class Counting(Model):
    """Counts to two."""
    size = parameter(2, "counters")
    counters = role(Counter, count="size")

    @action(Counter)
    def tick(self, c):
        require(c.n < 2)
        c.n += 1

    @always
    def small(self):
        """Never above two."""
        return all(c.n <= 2 for c in self.counters)


SPECS = [
    Spec("shrink/three", Counting(size=3), holds()),
    Spec("shrink/two", Counting(size=2), holds()),
]
'''


def test_a_design_whose_first_spec_has_more_processes_than_a_later_one(tmp_path):
    spec_file = tmp_path / "shrink.py"
    spec_file.write_text(SHRINKING_SPECS)
    report = build_report(load_specs(str(spec_file)))
    # One machine for the role, drawn from both specs' graphs: the same three control states.
    dot_text = report.files["shrink/counting.counters.dot"]
    assert all(f"label={n}" in dot_text for n in ("\"n=0\"", "\"n=1\"", "\"n=2\""))
    assert "shrink/two.states.svg" in report.files
    assert "#### shrink/three" in report.files["shrink.md"]


# -- report never overwrites or removes a file it did not write -------------------------

def test_report_leaves_a_file_it_did_not_write_alone(report, tmp_path, capsys):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "README.md").write_text("# My project's docs\n")
    (out / "lease-handover").mkdir()
    mine = out / "lease-handover" / "first.no-crash.states.svg"
    mine.write_text("<svg>drawn by hand</svg>\n")
    assert main([TUTORIAL], out=str(out), check=False) == 2
    err = capsys.readouterr().err
    assert "README.md" in err and "first.no-crash.states.svg" in err
    assert "did not write" in err
    # Nothing written at all: a half report would link to files that are not there.
    assert (out / "README.md").read_text() == "# My project's docs\n"
    assert mine.read_text() == "<svg>drawn by hand</svg>\n"
    assert sorted(p.name for p in out.rglob("*")) == ["README.md", "first.no-crash.states.svg",
                                                        "lease-handover"]
    assert main([TUTORIAL], out=str(out), check=True) == 1
    assert "foreign  README.md (not written by lifecheck report" in capsys.readouterr().out


def test_every_file_report_writes_carries_its_mark(report):
    from lifecheck.diagrams.report import written_by_report

    for name, text in report.files.items():
        assert written_by_report(text), name
    assert not written_by_report("# Generated by hand\n")


def test_a_whole_state_graph_too_wide_gives_way_to_its_control_state_classes(tmp_path, monkeypatch):
    import lifecheck.diagrams.report as report_module

    spec_file = tmp_path / "shrink.py"
    spec_file.write_text(SHRINKING_SPECS)
    specs = load_specs(str(spec_file) + "::shrink/two")
    whole = build_report(specs).files
    assert "All 9 reachable states" in whole["shrink.md"]
    # Pretend every whole graph is too wide: the classes (counted control states) replace it.
    monkeypatch.setattr(report_module, "legible", lambda svg: "(control states)" in svg)
    files = build_report(specs).files
    assert "The 9 reachable states, drawn as 6 classes" in files["shrink.md"]
    assert "(control states)" in files["shrink/two.states.dot"]


def test_side_by_side_the_report_is_the_same(tmp_path: Path, capsys) -> None:
    """`--jobs 2`: specs checked in processes of their own (results and graphs pickled
    back, two spec files so that both processes work) give every file byte for byte."""
    targets = [TUTORIAL, str(ROOT / "specs" / "two_phase_backup.py")]
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(targets, out=str(one), check=False) == 0
    assert cli_main(["report", *targets, "--out", str(two), "-j", "2"]) == 0
    written = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert written and written == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    for rel in written:
        assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel
    assert any(str(rel).endswith(".svg") for rel in written)
    capsys.readouterr()
