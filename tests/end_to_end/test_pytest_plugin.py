"""The pytest plugin: specs are collected and checked as test items against their expected verdict.

Each test runs pytest on a small project of its own, in a fresh process, as a user would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SPEC_FILE = """
from lifecheck import Crash, Fail, Spec, holds, violated
from lifecheck.models.extraction import AtomicRename, UnpackInPlace

SPECS = [
    Spec("in-place/crash", UnpackInPlace(files=2), violated("NoPartialLoad", "EventuallyStarts"),
         faults=[Crash(max=1), Fail(max=1, kind="startup")]),
    Spec("in-place/claimed-safe", UnpackInPlace(files=2), holds(),
         faults=[Crash(max=1), Fail(max=1, kind="startup")]),
    Spec("rename/crash", AtomicRename(files=2), holds(),
         faults=[Crash(max=1), Fail(max=1, kind="startup")]),
]
"""


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=project, capture_output=True, text=True, timeout=120)


def make_project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.pytest.ini_options]
        testpaths = ["specs", "other"]
        lifecheck_specs = ["specs"]
    """))
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "lifecycle.py").write_text(SPEC_FILE)
    (tmp_path / "specs" / "broken.py").write_text(
        "from lifecheck import Spec\nSPECS = [Spec('x', 42, None)]\n")
    (tmp_path / "specs" / "_helpers.py").write_text("raise RuntimeError('not a spec file')\n")
    (tmp_path / "other").mkdir()  # a spec-like file outside lifecheck_specs is not collected
    (tmp_path / "other" / "lifecycle.py").write_text(SPEC_FILE)
    return tmp_path


def test_each_spec_is_an_item_that_passes_when_its_verdict_is_the_expected_one(tmp_path):
    project = make_project(tmp_path)
    done = run_pytest(project, "-v", "--continue-on-collection-errors")
    out = done.stdout
    assert done.returncode == 1, out
    assert "specs/lifecycle.py::in-place/crash PASSED" in out
    assert "specs/lifecycle.py::rename/crash PASSED" in out
    assert "specs/lifecycle.py::in-place/claimed-safe FAILED" in out
    # The failure is the checker's own report, counterexample included.
    assert ("in-place/claimed-safe: violated (NoPartialLoad, EventuallyStarts)  "
            "[expected holds: UNEXPECTED]") in out
    assert "=> NoPartialLoad is violated: it sees broker1.complete_files=0" in out
    # A spec file that does not load is a collection error that says why.
    assert "lifecheck could not load" in out and "model must be a Model instance" in out
    assert "1 failed, 2 passed, 1 error" in out  # nothing from _helpers.py or other/


def test_one_spec_can_be_run_by_its_node_id_and_the_marker_deselects_specs(tmp_path):
    project = make_project(tmp_path)
    done = run_pytest(project, "-v", "specs/lifecycle.py::rename/crash", "specs/lifecycle.py::in-place/crash",
                      "-m", "not lifecheck")
    assert "2 deselected" in done.stdout, done.stdout
