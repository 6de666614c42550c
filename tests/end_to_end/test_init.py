"""``lifecheck init``: a new project that checks, tests and lints out of the box, and never
overwrites a file that is already there.

The scaffold is run the way a user runs it: ``lifecheck check``, ``pytest`` and
``lifecheck report`` in a fresh process whose current folder is the project, with no
``PYTHONPATH``, so the project's ``models`` package and the helper beside its spec
file are found only by the rules a user relies on (the spec loader's and the
``pythonpath`` of the generated ``pyproject.toml``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lifecheck.cli import init, main

ROOT = Path(__file__).resolve().parents[2]

SCAFFOLD = {
    "pyproject.toml",
    "README.md",
    "models/__init__.py",
    "models/publish.py",
    "specs/_budgets.py",
    "specs/publish.py",
    "tests/test_publish.py",
}

EXPECTED = {
    "pointer-first/no-crash": "holds",
    "pointer-first/crash": "violated",
    "snapshot-first/crashes": "holds",
}


def run_init(*args: str) -> tuple[int, str, str]:
    """``lifecheck init ARGS`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["init", *args])
    return status, out.getvalue(), err.getvalue()


def in_project(project: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """A command run as a user runs it: from the project's folder, with no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HYPOTHESIS_PROFILE")}
    return subprocess.run(list(args), cwd=project, env=env, capture_output=True, text=True,
                          timeout=timeout)


def snapshot(folder: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every file and folder under ``folder``: contents (None for a folder) and mtime."""
    found: dict[str, tuple[bytes | None, int]] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        found[rel] = (None if path.is_dir() else path.read_bytes(), path.stat().st_mtime_ns)
    return found


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[Path, str]:
    """A scaffold just written, and what init printed."""
    folder = tmp_path / "publish-demo"
    status, out, err = run_init(str(folder))
    assert status == 0, out + err
    return folder, out


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scaffold shared by the slow tests that run commands in it. A command that writes
    into its project (pytest's .hypothesis, report's diagrams) runs in a copy."""
    folder = tmp_path_factory.mktemp("scaffolds") / "publish-demo"
    status, out, err = run_init(str(folder))
    assert status == 0, out + err
    return folder


def copy_of(project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / project.name
    shutil.copytree(project, copy)
    return copy


# ---------------------------------------------------------------------------------------
# What init writes
# ---------------------------------------------------------------------------------------

def test_init_writes_the_scaffold_and_says_what_to_run_next(fresh):
    folder, out = fresh
    assert files_under(folder) == SCAFFOLD
    assert not (folder / "specs" / "__init__.py").exists(), "specs/ must stay a plain folder"
    for name in SCAFFOLD:
        assert name in out, f"init's output does not list {name}:\n{out}"
    for command in ("lifecheck check specs", "pytest", "lifecheck report specs --out diagrams"):
        assert command in out
    assert f"cd {folder}" in out  # the project is not the current folder: say how to get there


def test_the_generated_pyproject_names_the_project_and_configures_pytest(fresh):
    folder, _ = fresh
    config = tomllib.loads((folder / "pyproject.toml").read_text())
    assert config["project"]["name"] == "publish-demo"
    assert config["project"]["version"] == "0.1.0"
    assert config["project"]["dependencies"] == ["lifecheck"]
    ini = config["tool"]["pytest"]["ini_options"]
    assert ini["testpaths"] == ["tests", "specs"]
    assert ini["lifecheck_specs"] == ["specs"]
    assert ini["pythonpath"] == ["."]


def test_the_generated_files_import_the_project_and_the_helper_beside_the_spec(fresh):
    folder, _ = fresh
    spec = (folder / "specs" / "publish.py").read_text()
    assert "from models.publish import" in spec
    assert "from _budgets import" in spec
    for name in SCAFFOLD:
        text = (folder / name).read_text()
        assert "{{" not in text and "}}" not in text, f"{name} has an unfilled placeholder"


def test_the_readme_says_how_to_check_test_and_draw(fresh):
    folder, _ = fresh
    readme = (folder / "README.md").read_text()
    for command in ("lifecheck check specs", "pytest", "lifecheck report specs --out diagrams"):
        assert command in readme


def test_no_temporary_file_is_left_behind(fresh):
    folder, _ = fresh
    assert not [p for p in folder.rglob("*") if p.name.startswith(".")]


# ---------------------------------------------------------------------------------------
# The scaffold works as generated
# ---------------------------------------------------------------------------------------

def test_the_scaffold_checks_with_the_expected_verdicts(project: Path):
    folder = project
    proc = in_project(folder, sys.executable, "-m", "lifecheck", "check", "specs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(EXPECTED)} of {len(EXPECTED)} specs gave the expected verdict" in proc.stdout
    # The buggy design's counterexample is the story the docstrings tell: a crash between
    # moving the pointer and writing the snapshot, then a start from nothing.
    assert "pointer-first/crash: violated (NoLostUpdate)" in proc.stdout
    assert "snapshot 2 is missing: starts empty" in proc.stdout


def test_each_spec_gives_its_verdict_quickly_and_without_warnings(project: Path):
    folder = project
    proc = in_project(folder, sys.executable, "-m", "lifecheck", "check", "specs", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {r["spec"]: r for r in json.loads(proc.stdout)}
    assert {name: r["verdict"] for name, r in results.items()} == EXPECTED
    assert results["pointer-first/crash"]["property"] == "NoLostUpdate"
    for name, r in results.items():
        assert r["matches"], name
        assert not r["warnings"], (name, r["warnings"])  # every action fires: no vacuous proof
        # Small enough to check in well under a second on any machine: counted in states, not
        # timed, so a busy machine cannot make this test flaky.
        assert r["distinct_states"] <= 200, (name, r["distinct_states"])


def test_the_scaffold_checks_with_two_workers(project: Path):
    folder = project
    proc = in_project(folder, sys.executable, "-m", "lifecheck", "check", "specs", "--workers", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(EXPECTED)} of {len(EXPECTED)} specs gave the expected verdict" in proc.stdout


def test_pytest_in_the_scaffold_runs_the_specs_and_the_stateful_tests(project, tmp_path):
    folder = copy_of(project, tmp_path)
    proc = in_project(folder, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in EXPECTED:
        assert f"PASSED specs/publish.py::{name}" in proc.stdout, proc.stdout
    assert "PASSED tests/test_publish.py::TestSnapshotFirst" in proc.stdout, proc.stdout
    assert "PASSED tests/test_publish.py::test_random_runs_find_the_pointer_first_bug" in proc.stdout
    assert f"{len(EXPECTED) + 2} passed" in proc.stdout


def test_the_scaffold_draws_its_design_document(project, tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    copy = copy_of(project, tmp_path)
    proc = in_project(copy, sys.executable, "-m", "lifecheck", "report", "specs", "--out", "diagrams")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    documents = list((copy / "diagrams").glob("*.md"))
    assert documents, proc.stdout
    assert any("pointer-first/crash" in d.read_text() for d in documents)


def test_the_scaffold_passes_ruff_with_this_repositorys_rules(project: Path):
    """The templates are not .py files, so ``ruff check checker`` never sees them: lint the output."""
    folder = project
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    proc = in_project(folder, sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache",
                      "--line-length", str(config["line-length"]),
                      "--target-version", config["target-version"],
                      "--select", ",".join(config["lint"]["select"]),
                      "--ignore", ",".join(config["lint"]["ignore"]), ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------
# Never overwriting
# ---------------------------------------------------------------------------------------

def test_a_second_init_exits_2_and_changes_nothing(tmp_path):
    folder = tmp_path / "again"
    assert run_init(str(folder))[0] == 0
    before = snapshot(folder)
    status, _, err = run_init(str(folder))
    assert status == 2
    assert snapshot(folder) == before
    for name in SCAFFOLD:
        assert name in err, err
    assert "nothing was written" in err
    assert "move them out of the way" in err.lower()  # says how to get a scaffold anyway
    assert "lifecheck init NEWDIR" in err


def test_a_file_in_the_way_writes_nothing(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mine"\n')
    before = snapshot(tmp_path)
    status, _, err = run_init(str(tmp_path))
    assert status == 2
    assert snapshot(tmp_path) == before  # no other file, and no folder, was created
    assert "pyproject.toml" in err
    assert "models/publish.py" not in err  # names only the files in the way


def test_a_file_where_a_folder_goes_writes_nothing(tmp_path):
    (tmp_path / "tests").write_text("not a folder")
    before = snapshot(tmp_path)
    status, _, err = run_init(str(tmp_path))
    assert status == 2
    assert snapshot(tmp_path) == before
    assert "tests" in err and "not a folder" in err


def test_init_beside_unrelated_files_leaves_them_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "legacy.py").write_text("X = 1\n")
    status, _, err = run_init(str(tmp_path))
    assert status == 0, err
    assert (tmp_path / "notes.txt").read_text() == "my notes\n"
    assert (tmp_path / "models" / "legacy.py").read_text() == "X = 1\n"
    assert files_under(tmp_path) == SCAFFOLD | {"notes.txt", "models/legacy.py"}


def test_a_failed_write_takes_back_what_was_written(tmp_path, monkeypatch):
    """A disk that fills up half way leaves the folder as it was, not half a scaffold."""
    (tmp_path / "notes.txt").write_text("my notes\n")
    before = snapshot(tmp_path)
    real = init.write_atomically
    calls: list[Path] = []

    def fill_up(path, text):
        calls.append(Path(path))
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        real(path, text)

    monkeypatch.setattr(init, "write_atomically", fill_up)
    status, _, err = run_init(str(tmp_path))
    assert status == 2
    assert len(calls) == 4
    assert snapshot(tmp_path) == before
    assert "No space left on device" in err
    assert str(calls[-1].relative_to(tmp_path).as_posix()) in err


# ---------------------------------------------------------------------------------------
# Where, and under what name
# ---------------------------------------------------------------------------------------

def test_the_default_folder_is_the_current_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_init()
    assert status == 0, err
    assert files_under(tmp_path) == SCAFFOLD
    assert "cd " not in out  # already there


def test_init_creates_the_folder_and_its_parents(tmp_path):
    folder = tmp_path / "a" / "b" / "new"
    status, _, err = run_init(str(folder))
    assert status == 0, err
    assert files_under(folder) == SCAFFOLD


def test_a_file_given_as_the_folder_exits_2(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    status, _, err = run_init(str(target))
    assert status == 2
    assert str(target) in err and "not a folder" in err
    assert target.read_text() == "x"


def test_a_file_above_the_folder_exits_2(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    status, _, err = run_init(str(tmp_path / "file.txt" / "project"))
    assert status == 2
    assert f"{tmp_path / 'file.txt'} is not a folder" in err
    assert files_under(tmp_path) == {"file.txt"}


@pytest.mark.parametrize(("folder", "name"), [
    ("Publish Demo", "publish-demo"),
    ("my_project.v2", "my-project-v2"),
    ("--odd--", "odd"),
    ("Ünïcode", "n-code"),
    ("___", "lifecycle-models"),
])
def test_the_project_name_is_a_valid_distribution_name(tmp_path, folder, name):
    status, _, err = run_init(str(tmp_path / folder))
    assert status == 0, err
    config = tomllib.loads((tmp_path / folder / "pyproject.toml").read_text())
    assert config["project"]["name"] == name
