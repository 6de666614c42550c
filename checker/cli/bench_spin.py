"""SPIN beside lifecheck: build a Promela twin once, then run its verifier as often as asked.

Building (``spin -a`` and gcc) is timed apart from running ``./pan``: the build is
paid once per model, so a row shows it in a column of its own and compares only the
verifier's process with lifecheck's. Partial-order reduction is off (``-DNOREDUCE``)
so that SPIN stores the states lifecheck does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from lifecheck.errors import SpecError

_FIGURES = {
    "states": re.compile(r"^\s*(\d+) states, stored", re.M),
    "transitions": re.compile(r"^\s*(\d+) transitions", re.M),
    "seconds": re.compile(r"elapsed time ([\d.e+-]+) seconds"),
    "memory": re.compile(r"^\s*([\d.]+)\s+actual memory usage for states", re.M),
    "errors": re.compile(r"errors: (\d+)"),
}


class SpinTwin:
    """A Promela model compiled into a verifier in a directory of its own (a context manager)."""

    def __init__(self, name: str, pml: Path, defines: dict[str, Any]) -> None:
        self.name = name
        self.pml = pml
        self.defines = defines
        self.compile_seconds = 0.0
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> SpinTwin:
        self._dir = tempfile.TemporaryDirectory(prefix="lifecheck-spin-")
        work = self._dir.name
        shutil.copy(self.pml, work)
        flags = [f"-D{k}={v}" for k, v in self.defines.items()]
        started = time.perf_counter()
        self._build(["spin", "-a", *flags, self.pml.name], work)
        self._build(["gcc", "-O2", "-DNOREDUCE", "-DSAFETY", "-DMEMLIM=16000", "-o", "pan",
                     "pan.c"], work)
        self.compile_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        if self._dir is not None:
            self._dir.cleanup()

    def _build(self, command: list[str], work: str) -> None:
        done = subprocess.run(command, cwd=work, capture_output=True, text=True)
        if done.returncode:
            raise SpecError(f"{self.name}: {command[0]} failed on {self.pml.name}:\n"
                            f"{(done.stdout + done.stderr)[-2000:]}")

    def run(self) -> dict[str, Any]:
        """One run of the verifier: its own figures, its process's wall time and peak memory."""
        assert self._dir is not None, "run a SpinTwin inside its with-block"
        started = time.perf_counter()
        proc = subprocess.Popen(["./pan", "-m3000000", "-w24"], cwd=self._dir.name, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        found = {k: rx.search(output) for k, rx in _FIGURES.items()}
        if not (found["states"] and found["transitions"] and found["seconds"]):
            raise SpecError(f"{self.name}: could not read SPIN's figures from its output:\n"
                            f"{output[-2000:]}")
        if found["errors"] and int(found["errors"].group(1)):
            raise SpecError(f"{self.name}: SPIN reported errors on the benchmark model:\n"
                            f"{output[-2000:]}")
        memory = float(found["memory"].group(1)) * 2**20 if found["memory"] else 0.0
        return {"states": int(found["states"].group(1)),
                "transitions": int(found["transitions"].group(1)),
                "seconds": max(float(found["seconds"].group(1)), 1e-3),
                "stored_bytes": int(memory), "peak_rss_bytes": usage.ru_maxrss * 1024,
                "process_seconds": wall}
