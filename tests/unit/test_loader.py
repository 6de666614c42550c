"""Spec files load like pytest test files: siblings and project packages import, projects stay apart."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lifecheck.errors import SpecError
from lifecheck.modelling.loader import basedir, module_name, rootdir
from lifecheck.modelling.spec import load_specs


@pytest.fixture(autouse=True)
def _restore_imports():
    """Loading another project's specs puts its folders first on sys.path and its
    ``models``/``specs`` packages in sys.modules, as it must; the tests after these ones
    import this repository's ``specs`` and must find it again."""
    path, modules = list(sys.path), dict(sys.modules)
    yield
    sys.path[:] = path
    for name in [n for n in sys.modules if n not in modules]:
        del sys.modules[name]
    sys.modules.update(modules)


MODEL = '''\
from lifecheck import Model, action, always, durable, require


class Count(Model):
    n = durable(0, "a counter")

    @action
    def bump(self) -> None:
        require(self.n < {limit})
        self.n += 1

    @always
    def small(self) -> bool:
        return self.n <= 1
'''


def spec_file(name: str, imports: str, expect: str = "violated('Small')") -> str:
    return (f"from lifecheck import Spec, holds, violated\n{imports}\n\n"
            f"SPECS = [Spec({name!r}, Count(), {expect}, deadlock=False)]\n")


def project(root: Path, limit: int, *, package_specs: bool) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\nversion = '0'\n")
    (root / "models" / "__init__.py").write_text("")
    (root / "models" / "count.py").write_text(MODEL.format(limit=limit))
    (root / "specs").mkdir()
    if package_specs:
        (root / "specs" / "__init__.py").write_text("")
    return root / "specs"


def test_the_rules_name_the_module_as_pytest_would(tmp_path):
    specs = project(tmp_path / "a", 1, package_specs=True)
    (specs / "deep").mkdir()
    (specs / "deep" / "__init__.py").write_text("")
    file = specs / "deep" / "x.py"
    file.write_text("")
    assert basedir(file) == tmp_path / "a"
    assert module_name(file, basedir(file)) == "specs.deep.x"
    assert rootdir(file) == tmp_path / "a"
    plain = project(tmp_path / "b", 1, package_specs=False) / "y.py"
    plain.write_text("")
    assert basedir(plain) == tmp_path / "b" / "specs"
    assert module_name(plain, basedir(plain)) == "y"
    assert rootdir(plain) == tmp_path / "b"


def test_without_a_project_file_the_current_folder_is_the_root(tmp_path, monkeypatch):
    (tmp_path / "specs").mkdir()
    file = tmp_path / "specs" / "z.py"
    file.write_text("")
    monkeypatch.chdir(tmp_path)
    assert rootdir(file) == tmp_path
    monkeypatch.chdir(tmp_path / "specs")
    assert rootdir(file) == tmp_path / "specs"


def test_a_spec_imports_its_sibling_and_its_projects_package(tmp_path):
    specs = project(tmp_path, 2, package_specs=False)
    (specs / "_shared.py").write_text("EXPECT = 'violated'\n")
    imports = "from _shared import EXPECT\nfrom models.count import Count"
    (specs / "count.py").write_text(spec_file("c", imports))
    (spec,) = load_specs(str(specs))
    assert spec.name == "c"
    assert type(spec.model).__module__ == "models.count"


def test_two_projects_with_the_same_package_names_do_not_see_each_other(tmp_path):
    """Project a's models.count goes up to 1 (holds), project b's to 2 (violated)."""
    a = project(tmp_path / "a", 1, package_specs=True)
    b = project(tmp_path / "b", 2, package_specs=True)
    (a / "count.py").write_text(spec_file("a", "from models.count import Count", "holds()"))
    (b / "count.py").write_text(spec_file("b", "from models.count import Count"))
    (spec_a,) = load_specs(str(a))
    (spec_b,) = load_specs(str(b))
    assert type(spec_a.model).__module__ == type(spec_b.model).__module__ == "models.count"
    assert Path(sys.modules[type(spec_b.model).__module__].__file__).is_relative_to(tmp_path / "b")
    assert type(spec_a.model) is not type(spec_b.model)
    from lifecheck import check_spec
    assert check_spec(spec_a).verdict == "holds"
    assert check_spec(spec_b).verdict == "violated"


def test_a_spec_file_is_executed_afresh_on_every_load(tmp_path):
    specs = project(tmp_path, 1, package_specs=False)
    file = specs / "count.py"
    file.write_text(spec_file("first", "from models.count import Count"))
    assert [s.name for s in load_specs(str(file))] == ["first"]
    file.write_text(spec_file("second", "from models.count import Count"))
    assert [s.name for s in load_specs(str(file))] == ["second"]


def test_a_failed_import_says_what_was_on_the_path_and_how_to_fix_it(tmp_path):
    specs = project(tmp_path, 1, package_specs=False)
    (specs / "count.py").write_text(spec_file("c", "from mymodels import Count"))
    with pytest.raises(SpecError) as caught:
        load_specs(str(specs))
    message = str(caught.value)
    assert ("count.py:2: loading the spec file raised ModuleNotFoundError: "
            "No module named 'mymodels'") in message
    assert f"the spec file's folder {specs}" in message
    assert f"the project root {tmp_path}" in message
    assert "Put 'mymodels' beside the spec file or in the project root" in message


def test_a_spec_file_named_like_an_imported_module_is_refused(tmp_path):
    (tmp_path / "json.py").write_text("SPECS = []\n")
    with pytest.raises(SpecError, match="would be imported as the module 'json', which is already"):
        load_specs(str(tmp_path / "json.py"))
