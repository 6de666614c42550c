"""Reusable pieces of shared environment that lifecycle models plug in as components."""

from .filesystem import DIR, EMPTY, FileSystem

__all__ = ["DIR", "EMPTY", "FileSystem"]
