"""The committed diagrams/ must match what the code generates now (CI fails when stale)."""

from pathlib import Path

import pytest

from checker.render_markdown import verdict_table
from checker.run import check_spec
from checker.spec import load_specs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def all_results():
    return [check_spec(s) for s in load_specs(str(ROOT / "specs"))]


def test_every_spec_gives_its_expected_verdict(all_results):
    wrong = [f"{r.spec}: {r.verdict} {r.violated_properties} {r.error}" for r in all_results
             if not r.matches]
    assert all_results and not wrong


def test_verdict_table_is_fresh(all_results):
    committed = (ROOT / "diagrams" / "verdicts.md").read_text()
    assert committed == verdict_table(all_results), (
        "diagrams/verdicts.md is stale: run ./dev check and commit the result")
