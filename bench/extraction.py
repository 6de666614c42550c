"""Extraction scaled up with the file-system component: atomic rename with fsync, 3 brokers.

The component-heavy benchmarks: every step goes through
:class:`~lifecheck.components.FileSystem` (directories, locks, what an fsync made
durable), so they measure what a lifecycle written with components costs per state.
No Promela twin (the component's bookkeeping has none); ``crash_extraction.py`` is
the same lifecycle with plain fields and a twin.
"""

from lifecheck import Crash, Fail, Spec, holds
from lifecheck.models.extraction import AtomicRename


def _spec(brokers: int, files: int, crashes: int) -> Spec:
    return Spec(f"extraction/rename-fsync/{brokers}-brokers/{files}-files/{crashes}-crashes",
                AtomicRename(files=files, brokers=brokers, fsync=True), holds(),
                faults=[Crash(max=crashes), Fail(kind="startup", max=0)],
                properties=["NoPartialLoad", "NoLeak", "NoClobber"])


SPECS = [_spec(3, 4, 3), _spec(3, 6, 4)]

ENGINES = {
    # Both explorers, and so the default too: bfs is affordable at 38,458 states.
    SPECS[0].name: ("bfs", "vector"),
    # 121,320 states at about 3,000 a second: vector only (and the default where it is not bfs),
    # and two vector workers, whose steps run as written (learning does not pay here).
    SPECS[1].name: ("vector", "2 workers"),
}
