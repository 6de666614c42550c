"""The modelling API is typed: mypy knows a field's type in model code and flags typos.

A model's fields are declared once (``phase = volatile("idle")``) and used in every
action. Without types, a typo (``w.phse``) shows up only when the checker reaches that
step, as a modelling error, and a write of the wrong type (``w.phase = 3``) not at all:
the state just holds a value no guard expects. These tests run ``mypy --strict`` in a
subprocess on small user modules written to a temporary folder, against lifecheck as it
is installed: one run serves every test but the py.typed control, each reading the
lines it needs by line number.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lifecheck import check_spec

pytest.importorskip("mypy", reason="mypy is in the dev extra: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parents[2]

# A correct model that uses every part of the modelling API a model is written with.
# It must type-check under --strict with no error at all, and hold when checked (so
# that it is a model the checker accepts, not only one mypy accepts).
GOOD = '''\
"""Two workers hand a lease over; each writes its slots while it holds the lease."""

from __future__ import annotations

from lifecheck import (
    Model,
    Process,
    Spec,
    action,
    always,
    durable,
    eventually,
    final,
    holds,
    leads_to,
    note,
    parameter,
    require,
    role,
    sometimes,
    transition,
    volatile,
)
from lifecheck.components import KeyValueStore

LEASE = "lease"


class Worker(Process):
    control = "phase"
    phase = volatile("idle")
    epoch = volatile(0)
    holder: str | None = volatile(None)
    acks = volatile(False, count="slots")
    handovers = durable(0)


class TypedHandover(Model):
    workers = parameter(2, "workers sharing the lease", check=lambda n: n >= 1)
    slots = parameter(2)
    pool = role(Worker, count="workers")
    locks = KeyValueStore()
    granted = durable(0)
    writes = durable(())
    epochs = durable(frozenset())
    flags = durable(False, count="slots")

    @action(Worker)
    def acquire(self, w: Worker) -> None:
        require(w.phase == "idle" and not self.locks.contains(LEASE) and self.granted < self.workers)
        self.granted += 1
        self.locks.put(LEASE, (w.name, self.granted))
        w.phase, w.epoch, w.holder = "leader", self.granted, w.name

    @action(Worker, slot=lambda m: range(m.slots))
    def write(self, w: Worker, slot: int) -> None:
        require(w.phase == "leader" and not w.acks[slot])
        w.acks[slot] = True
        self.flags[slot] = True
        self.writes = (*self.writes, (w.name, w.epoch))
        self.epochs = self.epochs | {w.epoch}
        note(f"slot {slot} of {len(w.acks)}")

    @action(Worker)
    def release(self, w: Worker) -> None:
        require(w.phase == "leader" and all(w.acks))
        self.locks.delete(LEASE)
        w.phase, w.holder = "done", None
        w.acks = (False,) * self.slots
        w.handovers += 1

    @action
    def clear_flags(self) -> None:
        require(all(self.flags))
        self.flags = (False,) * self.slots

    @always
    def one_leader(self) -> bool:
        return sum(1 for w in self.pool if w.phase == "leader") <= 1

    @sometimes(name="EveryWorkerWrote")
    def every_worker_wrote(self) -> bool:
        return len(self.epochs) == self.workers

    @transition
    def writes_only_grow(self, after: TypedHandover) -> bool:
        return after.writes[: len(self.writes)] == self.writes

    @eventually
    def all_done(self) -> bool:
        return all(w.phase == "done" and w.holder is None and w.acks == (False,) * self.slots
                   for w in self.pool)

    granted_leads_to_write = leads_to(lambda m: m.granted >= 1, lambda m: len(m.writes) >= 1)

    @final
    def finished(self) -> bool:
        return all(w.phase == "done" for w in self.pool) and not self.locks.contains(LEASE)


SPECS = [Spec("typing/handover", TypedHandover(), holds())]
'''

# Each line to look at ends with ``# <tag>``; the tests find it by its tag.
CASES = '''\
from lifecheck import (Model, Process, action, durable, initial, one_of, parameter, require, role,
                       volatile)
from lifecheck.components import KeyValueStore


class Worker(Process):
    phase = durable("boot")
    count = durable(0)
    owner = volatile(None)
    holder: str | None = volatile(None)
    log = durable(())
    pair = durable((0, "a"))
    acks = volatile(False, count=2)
    mode = volatile(one_of(("a", "b")))
    slot = durable(one_of(lambda m: range(m.files)))


class Cases(Model):
    files = parameter(2, "files to unpack")
    fleet = role(Worker, count=2)
    store = KeyValueStore()

    @action(Worker)
    def step(self, w: Worker) -> None:
        require(w.phase == "boot")
        reveal_type(w.phase)  # phase
        reveal_type(w.count)  # count
        reveal_type(w.owner)  # owner
        reveal_type(w.holder)  # holder
        reveal_type(w.log)  # log
        reveal_type(w.pair)  # pair
        reveal_type(w.acks)  # acks
        reveal_type(w.acks[0])  # ack
        reveal_type(w.mode)  # one_of
        reveal_type(w.slot)  # one_of a function of the model
        reveal_type(self.files)  # files on a view
        reveal_type(self.fleet)  # fleet
        reveal_type(self.store)  # store
        w.phse = "load"  # typo written
        print(w.phse)  # typo read
        print(self.fleeet)  # typo on the model
        w.phase = 3  # wrong type
        w.count = "one"  # wrong type for an int
        w.acks[0] = "yes"  # wrong element
        w.holder = 7  # wrong type for an annotated optional
        w.owner = 7
        w.log = (*w.log, "x")

    @initial
    def start(self) -> None:
        for w in self.fleet:
            w.count = w.slot


m = Cases(files=3)
reveal_type(m.files)  # files on an instance
reveal_type(Cases.fleet)  # role on the class
'''


@dataclass(frozen=True)
class Message:
    severity: str  # error or note
    text: str
    code: str  # the error code in brackets ("attr-defined"), "" for a note


LINE = re.compile(r"^(?P<file>[^:\s]+\.py):(?P<line>\d+): (?P<severity>error|note|warning): "
                  r"(?P<text>.*?)(?:  \[(?P<code>[a-z-]+)\])?$")


@dataclass(frozen=True)
class Checked:
    """What one mypy run printed, by file and line."""

    output: str
    messages: dict[tuple[str, int], list[Message]]

    def at(self, file: str, source: str, tag: str) -> list[Message]:
        return self.messages.get((file, line_of(source, tag)), [])

    def revealed(self, file: str, source: str, tag: str) -> str:
        (note,) = [m for m in self.at(file, source, tag) if m.text.startswith("Revealed type is")]
        return normalise(note.text.removeprefix("Revealed type is ").strip('"'))

    def lines(self, file: str) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith(f"{file}:")]


def line_of(source: str, tag: str) -> int:
    (number,) = [n for n, line in enumerate(source.splitlines(), 1) if line.endswith(f"  # {tag}")]
    return number


def normalise(revealed: str) -> str:
    """mypy 1.10 prints ``builtins.str`` and ``Union[X, None]``; later versions ``str``, ``X | None``."""
    revealed = revealed.replace("builtins.", "")
    if not (revealed.startswith("Union[") and revealed.endswith("]")):
        return revealed
    parts, depth, start = [], 0, len("Union[")
    for i, char in enumerate(revealed[start:-1], start):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(revealed[start:i].strip())
            start = i + 1
    parts.append(revealed[start:-1].strip())
    return " | ".join(parts)


def installed_tree(root: Path, keep_marker: bool = True) -> Path:
    """lifecheck as this interpreter imports it, laid out as folders mypy can read.

    ``pip install -e .`` maps the import name lifecheck onto checker/ (and two
    subpackages onto models/) with an import hook, which mypy cannot follow: it finds
    packages in folders on the path only. So the packages pyproject.toml maps are
    linked, from wherever the import system finds them, into a folder that goes on
    PYTHONPATH, where mypy treats them as installed: it reads them only with a
    ``py.typed`` marker. ``keep_marker=False`` leaves the marker out, to show that it is
    what mypy looks for.
    """
    with open(ROOT / "pyproject.toml", "rb") as f:
        mapped = sorted(tomllib.load(f)["tool"]["setuptools"]["package-dir"])
    site = root / "site"
    for name in mapped:  # parents first: lifecheck before lifecheck.components
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations, f"{name} is not installed"
        source = Path(next(iter(spec.submodule_search_locations)))
        target = site.joinpath(*name.split("."))
        target.mkdir(parents=True, exist_ok=True)
        nested = {m.rpartition(".")[2] for m in mapped if m.rpartition(".")[0] == name}
        for entry in source.iterdir():
            if entry.name in nested or entry.name == "__pycache__":
                continue
            if entry.name == "py.typed" and not keep_marker:
                continue
            (target / entry.name).symlink_to(entry)
    return site


def run_mypy(folder: Path, files: dict[str, str], keep_marker: bool = True) -> Checked:
    for name, source in files.items():
        (folder / name).write_text(source)
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "MYPY_CACHE_DIR")}
    env["PYTHONPATH"] = str(installed_tree(folder, keep_marker))
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
               "--cache-dir", str(folder / "cache"), "--no-color-output", "--no-error-summary",
               "--show-error-codes", "--hide-error-context", "--no-pretty", *files]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    messages: dict[tuple[str, int], list[Message]] = {}
    for line in done.stdout.splitlines():
        found = LINE.match(line)
        if found:
            message = Message(found["severity"], found["text"], found["code"] or "")
            messages.setdefault((found["file"], int(found["line"])), []).append(message)
    return Checked(done.stdout + done.stderr, messages)


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    return run_mypy(tmp_path_factory.mktemp("typing"), {"good.py": GOOD, "cases.py": CASES})


def test_mypy_reads_lifecheck_through_its_py_typed_marker(checked: Checked) -> None:
    assert "py.typed" not in checked.output, checked.output
    assert "import-untyped" not in checked.output and "import-not-found" not in checked.output, checked.output
    # lifecheck's own annotations were read: a field is its value, not Any.
    assert checked.revealed("cases.py", CASES, "phase") == "str"


def test_without_the_marker_mypy_refuses_lifecheck(tmp_path: Path) -> None:
    """The control for the test above: the folder is read as installed packages, which
    mypy only analyses when they carry py.typed."""
    found = run_mypy(tmp_path, {"user.py": "import lifecheck\n"}, keep_marker=False)
    assert "missing library stubs or py.typed marker" in found.output, found.output
    assert found.messages[("user.py", 1)][0].code == "import-untyped"


def test_a_correct_model_type_checks_without_an_error(checked: Checked) -> None:
    assert checked.lines("good.py") == [], "\n".join(checked.lines("good.py"))


def test_the_correct_model_is_one_the_checker_accepts(tmp_path: Path) -> None:
    (tmp_path / "typed_good_model.py").write_text(GOOD)
    spec = importlib.util.spec_from_file_location("typed_good_model", tmp_path / "typed_good_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        (result,) = [check_spec(s) for s in module.SPECS]
    finally:
        del sys.modules[spec.name]
    assert result.matches, (result.verdict, result.violations, result.error)
    assert sorted(result.properties) == ["AllDone", "EveryWorkerWrote", "GrantedLeadsToWrite",
                                         "OneLeader", "WritesOnlyGrow"]


@pytest.mark.parametrize(("tag", "expected"), [
    ("phase", "str"),
    ("count", "int"),
    ("owner", "Any | None"),
    ("holder", "str | None"),
    ("log", "tuple[Any, ...]"),
    ("pair", "tuple[int, str]"),
    ("acks", "lifecheck.modelling.fields.ArrayView[bool]"),
    ("ack", "bool"),
    ("one_of", "str"),
    ("one_of a function of the model", "int"),
    ("files on a view", "int"),
    ("files on an instance", "int"),
    ("fleet", "tuple[cases.Worker, ...]"),
    ("role on the class", "lifecheck.modelling.model.role[cases.Worker]"),
    ("store", "lifecheck.components.kv_store.KeyValueStore"),
])
def test_a_field_is_typed_as_its_value(checked: Checked, tag: str, expected: str) -> None:
    assert checked.revealed("cases.py", CASES, tag) == expected


@pytest.mark.parametrize(("tag", "code", "words"), [
    ("typo written", "attr-defined", '"Worker" has no attribute "phse"'),
    ("typo read", "attr-defined", '"Worker" has no attribute "phse"'),
    ("typo on the model", "attr-defined", '"Cases" has no attribute "fleeet"'),
    ("wrong type", "assignment", 'expression has type "int", variable has type "str"'),
    ("wrong type for an int", "assignment", 'expression has type "str", variable has type "int"'),
    ("wrong element", "call-overload", '"__setitem__" of "ArrayView"'),
    ("wrong type for an annotated optional", "assignment", 'variable has type "str | None"'),
])
def test_a_mistake_is_an_error(checked: Checked, tag: str, code: str, words: str) -> None:
    errors = [m for m in checked.at("cases.py", CASES, tag) if m.severity == "error"]
    assert [m.code for m in errors] == [code], checked.lines("cases.py")
    assert words in errors[0].text


def test_nothing_else_is_an_error(checked: Checked) -> None:
    """An unannotated None field takes any value, and a tuple that started empty grows."""
    tagged = {line_of(CASES, tag) for tag in _tags(CASES)}
    stray = [line for line in checked.lines("cases.py")
             if ": error:" in line and int(line.split(":")[1]) not in tagged]
    assert stray == []


def _tags(source: str) -> Iterator[str]:
    for line in source.splitlines():
        if "  # " in line:
            yield line.rpartition("  # ")[2]
