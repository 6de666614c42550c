"""Extraction scaled up: atomic rename with fsync, 8 files, 3 brokers, a crash."""

from checker import Crash, Spec, holds
from models.extraction import AtomicRename

SPECS = [
    Spec("extraction/rename-fsync/8-files/3-brokers/crash",
         AtomicRename(files=8, brokers=3, fsync=True), holds(), faults=[Crash(max=1)]),
]
