"""Reusable pieces of shared environment that lifecycle models plug in as components.

Each is written once and says what a crash and a power loss do to it, so that a
new lifecycle mostly combines them: a crash-consistent file system, a remote
object store whose requests can fail, an asynchronous executor whose results can
be ignored or lost, a durable key-value store, and an ordered message channel.
"""

from .channel import END, Channel
from .executor import Executor, Reply, Task
from .filesystem import DIR, EMPTY, FileSystem
from .kv_store import KeyValueStore
from .persistence import MODELS as PERSISTENCE_MODELS
from .persistence import Persistence
from .remote_store import RemoteObject, RemoteStore, RemoteStoreError

__all__ = ["DIR", "EMPTY", "END", "PERSISTENCE_MODELS", "Channel", "Executor", "FileSystem",
           "KeyValueStore", "Persistence",
           "RemoteObject", "RemoteStore", "RemoteStoreError", "Reply", "Task"]
