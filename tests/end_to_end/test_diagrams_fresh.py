"""The committed diagrams/ must match what the code generates now (CI fails when stale).

Every spec is checked once, by the report (which keeps each explored graph), and
that one run gives both the verdict table and every document and diagram; all
are compared byte for byte with diagrams/. `./dev check` writes them again.
"""

import os
import re
from pathlib import Path

import pytest

from lifecheck.diagrams.document import CODE_WIDTH
from lifecheck.diagrams.dot import HIGHLIGHT, legible, smallest_text_px
from lifecheck.diagrams.report import build_report, differences
from lifecheck.modelling.spec import load_specs
from lifecheck.render.markdown import verdict_table

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = ROOT / "diagrams"
LIFECYCLES = ("extraction", "segment-commit", "topic-recreate", "cluster-shutdown")


@pytest.fixture(scope="session")
def report():
    here = os.getcwd()
    os.chdir(ROOT)  # the documents name files relative to where the report runs
    try:
        return build_report(load_specs("specs"))
    finally:
        os.chdir(here)


def test_every_spec_gives_its_expected_verdict(report):
    wrong = [f"{r.spec}: {r.verdict} {r.violated_properties} {r.error}" for r in report.results
             if not r.matches]
    assert report.results and not wrong


def test_verdict_table_is_fresh(report):
    committed = (DIAGRAMS / "verdicts.md").read_text()
    assert committed == verdict_table(report.results), (
        "diagrams/verdicts.md is stale: run ./dev check and commit the result")


def test_design_documents_and_diagrams_are_fresh(report):
    stale = differences(report, DIAGRAMS)
    assert not stale, ("diagrams/ is stale: run ./dev check (lifecheck report specs --out diagrams) "
                       "and commit the result:\n  " + "\n  ".join(stale))


def test_every_lifecycle_has_its_diagrams(report):
    """Each lifecycle's document shows its role machines, and a sequence diagram for every violation."""
    by_key = {life.key: life for life in report.lifecycles}
    highlighted = 0
    for key in LIFECYCLES:
        doc = report.files[f"{key}.md"]
        life = by_key[key]
        assert re.search(rf"!\[[^\]]+\]\({key}/[^)]+\.svg\)", doc), f"{key}: no role machine"
        for design in life.designs:
            assert f"### {design.name}" in doc
        traced = sum(v.trace is not None for c in life.specs for v in c.result.violations)
        assert traced and doc.count("```mermaid") == traced, f"{key}: a violation has no sequence diagram"
        sequences = re.findall(r"The same sequence as SVG: \[[^\]]+\]\(([^)]+)\)", doc)
        assert len(sequences) == traced and all(path in report.files for path in sequences)
        highlighted += sum(HIGHLIGHT in text for name, text in report.files.items()
                           if name.startswith(f"{key}/") and name.endswith(".states.dot"))
    assert highlighted, "no state graph with a highlighted counterexample"



def test_every_svg_is_legible_at_page_width(report):
    """No text of any diagram is shrunk below 10 px when a page shows it (880 px wide)."""
    small = [f"{name}: {smallest_text_px(text):.1f} px" for name, text in report.files.items()
             if name.endswith(".svg") and not legible(text)]
    assert not small, "diagrams too wide to read at page width:\n  " + "\n  ".join(small)


NODE = re.compile(r'^\t(\w+) \[label=("(?:[^"\\]|\\.)*"|<.*?>|[^ \]]+)', re.M)


def node_labels(dot_text: str) -> dict[str, str]:
    """Every node's label in a DOT text written by the report (one node statement a line)."""
    return {node: label for node, label in NODE.findall(dot_text)}


def test_no_two_nodes_of_a_state_graph_look_the_same(report):
    """A reader tells nodes apart by their text, not by their colour or position."""
    same = []
    graphs = [(name, text) for name, text in report.files.items() if name.endswith(".states.dot")]
    assert len(graphs) > 50
    for name, text in graphs:
        labels = list(node_labels(text).values())
        assert labels, name
        same += [f"{name}: {label}" for label in sorted(set(labels)) if labels.count(label) > 1]
    assert not same, "state graphs with nodes that look the same:\n  " + "\n  ".join(same)



def _code_blocks(markdown: str) -> list[tuple[str, list[str]]]:
    """(language, lines) of every fenced block of a Markdown text."""
    return [(lang, body.split("\n")) for lang, body in re.findall(r"^```(\w*)\n(.*?)\n```$", markdown,
                                                                 flags=re.S | re.M)]


def test_nothing_in_the_documents_is_wider_than_the_page(report):
    """Code blocks do not wrap when shown: no line passes CODE_WIDTH characters (a Mermaid
    block is a picture and sizes itself); a verdict table has five narrow columns."""
    docs = {name: text for name, text in report.files.items() if name.endswith(".md")}
    docs["verdicts.md"] = verdict_table(report.results)
    wide = []
    for name, text in docs.items():
        for lang, lines in _code_blocks(text):
            if lang != "mermaid":
                wide += [f"{name}: {len(line)}: {line}" for line in lines if len(line) > CODE_WIDTH]
        for header in re.findall(r"^\| spec \|.*$", text, flags=re.M):
            assert header.count("|") - 1 <= 5, f"{name}: {header}"
    assert not wide, "code lines wider than the page:\n  " + "\n  ".join(wide[:20])
