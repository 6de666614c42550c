"""Real unpackers held to the extraction models: real archives, real directories, real kill -9.

Each broker is a child process running the real unpacker
(examples/extraction/unpacker.py), paused before each step the model has and
killed with SIGKILL where the model crashes it; its restart runs the real
recovery code. The shipped design fails with the checker's own counterexample;
the fixed designs follow their models; an implementation of another design
diverges; and a conformance test that could not see what a property reads is
refused. Power loss is not produced for real (a killed process leaves the page
cache intact) and is refused with that reason.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from examples.extraction.conformance import (
    IN_PLACE,
    MARKER,
    RENAME_2_BROKERS,
    RENAME_FSYNC,
    ExtractionAdapter,
    _spec,
)
from examples.extraction.process import BrokerProcess
from examples.extraction.unpacker import (
    InPlaceUnpacker,
    MarkerUnpacker,
    PluginLoadError,
    RenameUnpacker,
    make_archive,
)
from lifecheck.conformance import Conformance, ConformanceError, check_conformance, conformance_settings
from lifecheck.explore.verdict import check_spec

# Fewer, shorter examples than Hypothesis's defaults: every example forks real brokers and
# writes real files, and the suite shares two cores. The bug is found well within them (in the
# first few examples); the fixed designs' runs still take each through several lifecycles with
# kills at every kind of step boundary. The one-line conformance_test() uses the defaults.
SETTINGS = conformance_settings(max_examples=12, stateful_step_count=30, database=None)
FILES = {"f1": "data1", "f2": "data2", "f3": "data3"}


def checker_trace(conformance: Conformance, prop: str) -> list[tuple[str | None, str]]:
    violation = next(v for v in check_spec(conformance.spec).violations if v.property == prop)
    return [(s.process, s.action) for s in violation.trace.steps]


def test_the_shipped_unpacker_fails_with_the_checkers_counterexample(tmp_path):
    found = check_conformance(IN_PLACE, workdir=tmp_path, settings=SETTINGS, seed=0)
    assert found is not None and found.property == "NoPartialLoad"
    # lock, boot, kill -9, lock, boot, load: the real broker loads the empty directory.
    assert found.actions() == checker_trace(IN_PLACE, "NoPartialLoad")
    assert "agreed with the model at every step" in str(found)
    assert not list(tmp_path.iterdir())  # every example's directory and broker cleaned up


@pytest.mark.parametrize("conformance", [MARKER, RENAME_FSYNC], ids=lambda c: c.name)
def test_the_fixed_unpackers_follow_their_models(conformance, tmp_path):
    assert check_conformance(conformance, workdir=tmp_path, settings=SETTINGS, seed=0) is None


def test_two_real_brokers_race_to_rename_and_follow_the_model(tmp_path):
    settings = conformance_settings(max_examples=8, stateful_step_count=30, database=None)
    assert check_conformance(RENAME_2_BROKERS, workdir=tmp_path, settings=settings, seed=0) is None


def test_an_unpacker_of_another_design_diverges(tmp_path):
    # The shipped unpacker held to the marker design's model: after its last file it goes
    # straight to loading, where the model writes the marker first.
    wrong = Conformance(MARKER.spec, partial(ExtractionAdapter, unpacker=InPlaceUnpacker),
                        name="in-place unpacker held to the marker model")
    found = check_conformance(wrong, workdir=tmp_path, settings=SETTINGS, seed=0)
    assert found is not None and found.property == "Conformance"
    text = str(found)
    assert "broker1.phase is 'load' where the model has 'marker'" in text
    assert "does not implement the design that was checked" in text
    assert [a for _, a in found.actions()][-1] == "unpack_write"


class BlindAdapter(ExtractionAdapter):
    """Does not observe what each broker's load saw, which NoPartialLoad reads."""

    covers = ("fs.tree", "fs.data", "fs.locks", "broker*.phase", "broker*.unpacked")


def test_a_property_the_observations_cannot_see_is_refused(tmp_path):
    blind = Conformance(IN_PLACE.spec, BlindAdapter, name="blind")
    with pytest.raises(ConformanceError, match=r"NoPartialLoad reads broker1\.complete_files"):
        check_conformance(blind, workdir=tmp_path, settings=SETTINGS, seed=0)
    assert not list(tmp_path.iterdir())  # the brokers it started were stopped, their files removed


def test_power_loss_cannot_be_produced_by_a_kill_and_is_refused(tmp_path):
    with_power_loss = Conformance(_spec("extraction/rename-fsync/power-loss"), ExtractionAdapter)
    with pytest.raises(ConformanceError, match="power loss cannot be produced"):
        check_conformance(with_power_loss, workdir=tmp_path, settings=SETTINGS, seed=0)
    assert not list(tmp_path.iterdir())


# -- the real unpackers on their own ------------------------------------------------------------

def kill_at(design, archive: Path, workdir: Path, name: str, step: str, nth: int = 1) -> None:
    """Run the design as a real broker process and kill -9 it before the nth ``step``."""
    broker = BrokerProcess(name, lambda checkpoint: design(archive, workdir, name, checkpoint))
    seen = 0
    while broker.at is not None:
        if broker.at == step:
            seen += 1
            if seen == nth:
                broker.kill()
                return
        broker.go()
    raise AssertionError(f"{name} never reached {step} #{nth}: {broker.report}")


@pytest.fixture
def archive(tmp_path) -> Path:
    return make_archive(tmp_path / "plugin.nar", FILES)


@pytest.fixture
def workdir(tmp_path) -> Path:
    path = tmp_path / "tmp"
    path.mkdir()
    return path


@pytest.mark.parametrize("design", [InPlaceUnpacker, MarkerUnpacker, RenameUnpacker])
def test_each_design_unpacks_and_loads_on_a_fresh_disk(design, archive, workdir):
    plugin = design(archive, workdir, "broker1").start()
    assert plugin.files == ("f1", "f2", "f3")
    assert {p.name: p.read_text() for p in (workdir / "plugin").iterdir() if p.name in FILES} == FILES


def test_the_shipped_design_is_stuck_after_a_kill_half_way(archive, workdir):
    kill_at(InPlaceUnpacker, archive, workdir, "broker1", "unpack_write", 2)
    for _ in range(3):  # every restart loads the partial directory and fails the same way
        with pytest.raises(PluginLoadError, match="f2, f3") as failed:
            InPlaceUnpacker(archive, workdir, "broker1").start()
        assert failed.value.complete == 1


@pytest.mark.parametrize("design", [MarkerUnpacker, RenameUnpacker])
def test_the_fixed_designs_recover_from_a_kill_half_way(design, archive, workdir):
    kill_at(design, archive, workdir, "broker1", "unpack_write", 2)
    assert design(archive, workdir, "broker1").start().files == ("f1", "f2", "f3")
    assert sorted(p.name for p in workdir.iterdir() if p.name != "plugin.lock") == ["plugin"]


def test_a_broker_that_loses_the_rename_race_loads_the_winners_copy(archive, workdir):
    loser = BrokerProcess("broker2", lambda c: RenameUnpacker(archive, workdir, "broker2", c))
    while loser.at != "rename":
        loser.go()  # its copy complete, paused just before its rename
    RenameUnpacker(archive, workdir, "broker1").start()  # wins the race
    assert loser.go() == {"at": "load", "unpacked": 3}  # the rename failed: the target is taken
    loser.go()
    assert loser.report == {"running": True, "complete": 3, "unpacked": 3}
    loser.kill()
    # broker2 restarts and loads the winner's copy; nothing is left behind.
    assert RenameUnpacker(archive, workdir, "broker2").start().files == ("f1", "f2", "f3")
    assert sorted(p.name for p in workdir.iterdir()) == ["plugin"]
