"""Extraction scaled up: atomic rename with fsync, 3 brokers, 4 files, up to 3 crashes."""

from lifecheck import Crash, Fail, Spec, holds
from lifecheck.models.extraction import AtomicRename

SPECS = [
    Spec("extraction/rename-fsync/3-brokers/4-files/3-crashes",
         AtomicRename(files=4, brokers=3, fsync=True), holds(),
         faults=[Crash(max=3), Fail(kind="startup", max=0)],
         properties=["NoPartialLoad", "NoLeak", "NoClobber"]),
]

# Both explorers: a deep, narrow state space is where the bfs explorer is the faster one.
ENGINES = {"extraction/rename-fsync/3-brokers/4-files/3-crashes": ("bfs", "vector")}
