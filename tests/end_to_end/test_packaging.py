"""What ``pip install lifecheck`` gives a user: one import name, and their own project next to it.

The wheel is built from this checkout and installed into a fresh virtual environment
(which borrows this interpreter's third-party packages, so nothing is downloaded). The
user's project lives in a temporary folder outside the repository, with its own
``models`` and ``specs`` packages, the names that used to clash with ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True, text=True)
    (found,) = out.glob("lifecheck-*.whl")
    return found


@pytest.fixture(scope="module")
def environment(wheel, tmp_path_factory) -> Path:
    """A virtual environment with the wheel installed; its bin folder."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, system_site_packages=True, with_pip=False)
    python = home / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                    "-q", "--disable-pip-version-check", str(wheel)],
                   check=True, capture_output=True, text=True)
    return home / "bin"


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_wheel_installs_one_top_level_package(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"lifecheck"}
    assert "lifecheck/py.typed" in names
    assert "lifecheck/schema/result.schema.json" in names  # --json and ITF, described
    assert "lifecheck/schema/itf.schema.json" in names
    for page in ("index.html", "explore.js", "explore.css"):  # lifecheck explore's page
        assert f"lifecheck/ui/static/{page}" in names
    assert "lifecheck/components/filesystem.py" in names
    assert "lifecheck/models/extraction.py" in names
    assert not any(n.startswith("lifecheck/models/components/") for n in names)


def test_every_source_package_is_in_the_wheel(wheel):
    """A subpackage added under checker/ or models/ and forgotten in pyproject.toml fails here."""
    with zipfile.ZipFile(wheel) as archive:
        packaged = {str(Path(n).parent) for n in archive.namelist() if n.endswith("/__init__.py")}
    ours = {"lifecheck/" + str(p.parent.relative_to(ROOT / "checker"))
            for p in (ROOT / "checker").rglob("__init__.py")}
    ours = {p.removesuffix("/.") for p in ours}
    ours |= {"lifecheck/components"}
    ours |= {"lifecheck/models/" + str(p.parent.relative_to(ROOT / "models"))
             for p in (ROOT / "models").rglob("__init__.py") if "components" not in p.parts}
    ours = {p.removesuffix("/.") for p in ours}
    assert ours == packaged


def test_the_installed_package_imports_and_reports_its_version(environment, tmp_path):
    code = ("import json, importlib.util, lifecheck, lifecheck.components; "
            "print(json.dumps({'file': lifecheck.__file__, 'version': lifecheck.__version__, "
            "'others': [n for n in ('checker', 'models', 'specs', 'examples') "
            "if importlib.util.find_spec(n) is not None]}))")
    proc = run(environment, str(environment / "python"), "-c", code, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)
    assert facts["file"].startswith(str(environment.parent)), facts
    assert facts["others"] == []
    version = run(environment, "lifecheck", "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"lifecheck {facts['version']}"
    module = run(environment, str(environment / "python"), "-m", "lifecheck", "--version", cwd=tmp_path)
    assert module.stdout == version.stdout


MODEL = '''\
from lifecheck import Model, Process, action, always, durable, final, parameter, require, role


class Counter(Process):
    value = durable(0, "how far this counter has got")


class Counters(Model):
    counters = parameter(2, "counters")
    limit = parameter(2, "how far each counter goes")
    pool = role(Counter, count="counters")

    @action(Counter)
    def bump(self, c: Counter) -> None:
        require(c.value < self.limit)
        c.value += 1

    @always
    def within_limit(self) -> bool:
        return all(c.value <= self.limit for c in self.pool)

    @always
    def at_most_one(self) -> bool:
        return all(c.value <= 1 for c in self.pool)

    @final
    def done(self) -> bool:
        return all(c.value == self.limit for c in self.pool)
'''

HELPER = '''\
from models.counter import Counters


def small() -> Counters:
    return Counters(counters=2, limit=2)
'''

SPEC = '''\
from _helpers import small

from lifecheck import Crash, Spec, holds, violated
from models.counter import Counters

SPECS = [
    Spec("counters/bounded", small(), holds(), properties=["WithinLimit"], faults=[Crash(max=1)]),
    Spec("counters/too-strict", Counters(), violated("AtMostOne"), properties=["AtMostOne"]),
]
'''


@pytest.fixture(scope="module")
def user_project(tmp_path_factory) -> Path:
    """A project in the layout our README teaches, with its own models and specs packages."""
    project = tmp_path_factory.mktemp("user-project")
    (project / "pyproject.toml").write_text('[project]\nname = "user-project"\nversion = "0"\n')
    (project / "models").mkdir()
    (project / "models" / "__init__.py").write_text("")
    (project / "models" / "counter.py").write_text(MODEL)
    (project / "specs").mkdir()
    (project / "specs" / "__init__.py").write_text("")
    (project / "specs" / "counters.py").write_text(SPEC.replace("from _helpers", "from specs._helpers"))
    (project / "specs" / "_helpers.py").write_text(HELPER)
    return project


@pytest.mark.parametrize("flags", [(), ("--workers", "2"), ("--workers", "2", "--ray")],
                         ids=["one worker", "two workers", "ray"])
def test_a_user_project_with_its_own_models_and_specs_checks(environment, user_project, flags):
    proc = run(environment, "lifecheck", "check", "specs", *flags, cwd=user_project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 of 2 specs gave the expected verdict" in proc.stdout


def test_a_user_project_checks_from_another_folder(environment, user_project, tmp_path):
    proc = run(environment, "lifecheck", "check", str(user_project / "specs"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 of 2 specs gave the expected verdict" in proc.stdout


def test_a_plain_spec_folder_imports_its_siblings(environment, user_project, tmp_path):
    """specs/ without __init__.py: the spec file imports ``_helpers`` beside it directly."""
    plain = tmp_path / "plain"
    (plain / "models").mkdir(parents=True)
    (plain / "models" / "__init__.py").write_text("")
    (plain / "models" / "counter.py").write_text(MODEL)
    (plain / "specs").mkdir()
    (plain / "specs" / "counters.py").write_text(SPEC)
    (plain / "specs" / "_helpers.py").write_text(HELPER)
    proc = run(environment, "lifecheck", "check", "specs", cwd=plain)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 of 2 specs gave the expected verdict" in proc.stdout


def test_lifecheck_init_makes_a_project_that_checks_and_tests_with_the_wheel(environment, tmp_path):
    """The templates ship in the wheel, and the project they make works as its README says.

    Only the wheel's lifecheck may run here, pytest's plugin included. The venv borrows
    this interpreter's site-packages, which hold the editable install of this checkout
    with the same ``pytest11`` entry point, so pytest sees two distributions offering
    the plugin ``lifecheck``. That loads it once, from the wheel, for two reasons checked
    below rather than assumed: pluggy loads an entry point only when no plugin of that name
    is registered yet, and importlib.metadata lists the venv's own site-packages (the
    wheel) before the borrowed ones; the editable finder is last on ``sys.meta_path``, so
    ``lifecheck`` imports from the wheel too. Were either to change, the plugin would be
    loaded from the checkout (testing the checkout instead of the wheel) or twice (pytest
    refuses the second ``lifecheck_specs`` ini option), and this test fails saying which.
    """
    made = run(environment, "lifecheck", "init", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    demo = tmp_path / "demo"
    assert (demo / "specs" / "_budgets.py").is_file() and not (demo / "specs" / "__init__.py").exists()
    for flags in ((), ("--workers", "2"), ("--workers", "2", "--ray")):
        proc = run(environment, "lifecheck", "check", "specs", *flags, cwd=demo)
        assert proc.returncode == 0, (flags, proc.stdout + proc.stderr)
        assert "3 of 3 specs gave the expected verdict" in proc.stdout, flags

    collected = run(environment, "python", "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider",
                    "--trace-config", cwd=demo)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    plugins = [line for line in collected.stdout.splitlines()
               if "PLUGIN registered" in line and "lifecheck.pytest_plugin" in line]
    assert len(plugins) == 1, "\n".join(plugins) or collected.stdout
    assert str(environment.parent) in plugins[0], f"the plugin is not the wheel's: {plugins[0]}"

    tested = run(environment, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=demo)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "5 passed" in tested.stdout, tested.stdout
