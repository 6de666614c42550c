"""pytest integration: specs are collected and checked as test items.

With the folders (or files) of specs named in the ini file::

    [tool.pytest.ini_options]
    testpaths = ["tests", "specs"]
    lifecheck_specs = ["specs"]

``pytest`` collects every spec of every spec file there as one test item, named
after the spec (``specs/extraction.py::extraction/in-place/crash``), that checks
the spec and passes when the verdict is the one the spec expects. A spec whose
verdict differs fails with the checker's full report (counterexamples and all);
a spec file that does not load is a collection error with the loader's message.
So ``pytest`` alone runs the model checks beside the stateful tests and the unit
tests. The items carry the ``lifecheck`` marker: ``pytest -m "not lifecheck"``
leaves them out, ``-p no:lifecheck`` turns the plugin off.

Registered through the ``pytest11`` entry point; nothing is collected unless
``lifecheck_specs`` names where the specs are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lifecheck.errors import ModelError
from lifecheck.explore.verdict import check_spec
from lifecheck.modelling.spec import Spec, load_specs
from lifecheck.render.text import render_result
from lifecheck.result import Result

MARKER = "lifecheck"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("lifecheck_specs", type="paths", default=[],
                  help="spec files or folders whose specs are checked as test items (lifecheck)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a lifecheck spec, checked against its expected "
                                       "verdict")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".py" or file_path.name.startswith("_"):
        return None
    roots = [Path(p).resolve() for p in parent.config.getini("lifecheck_specs")]
    path = file_path.resolve()
    if not any(path == root or root in path.parents for root in roots):
        return None
    return SpecFile.from_parent(parent, path=file_path)


class SpecFile(pytest.File):
    """A spec file: one test item per spec in its ``SPECS`` list."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            specs = load_specs(str(self.path))
        except ModelError as exc:
            raise self.CollectError(f"lifecheck could not load {self.path}: {exc}") from None
        for spec in specs:
            yield SpecItem.from_parent(self, name=spec.name, spec=spec)


class VerdictDiffers(Exception):
    """The spec's verdict is not the one it expects."""

    def __init__(self, result: Result) -> None:
        super().__init__(f"{result.spec}: {result.verdict}, expected {result.expected.describe()}"
                         if result.expected else result.spec)
        self.result = result


class SpecItem(pytest.Item):
    """Checking one spec; passes when its verdict is the expected one."""

    def __init__(self, *, spec: Spec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.add_marker(MARKER)

    def runtest(self) -> None:
        result = check_spec(self.spec)
        self.user_properties.append(("verdict", result.verdict))
        if not result.matches:
            raise VerdictDiffers(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | Any:
        if isinstance(excinfo.value, VerdictDiffers):
            return render_result(excinfo.value.result, timing=False)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"lifecheck spec {self.name} (expects {self.spec.expect.describe()})"
