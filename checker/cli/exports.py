"""Writing counterexamples to files (``check --itf DIR``, ``replay --itf FILE``).

A file the user already has is never replaced: every target is looked at before
the first is written, and if any exists nothing is written and the command exits
2, saying which. Each file is written whole or not at all
(:func:`lifecheck.files.write_atomically`), so an interrupted export leaves no
half-written trace for a tool to choke on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lifecheck.errors import ModelError
from lifecheck.files import write_atomically
from lifecheck.render.itf import itf_trace
from lifecheck.result import Result

ITF_SUFFIX = ".itf.json"


def file_stem(text: str) -> str:
    """A name safe in any file system, read back easily: ``extraction_in-place_crash``."""
    return "".join(c if c.isalnum() or c in "-_=" else "_" for c in text)


def itf_files(folder: str, results: Sequence[Result]) -> list[tuple[Path, dict[str, Any]]]:
    """One ITF trace per counterexample: ``FOLDER/<spec>--<property>.itf.json`` (``-2``, ``-3``
    before the suffix where two spec names read alike as file names, ``a/b`` and ``a_b``)."""
    out: list[tuple[Path, dict[str, Any]]] = []
    taken: set[str] = set()
    for r in results:
        for v in r.violations:
            if v.trace is None:
                continue
            doc = itf_trace(v.trace, spec=r.spec, what=f"a counterexample to {v.property} in {r.spec}",
                            about={"property": v.property, "kind": v.kind, "message": v.message})
            stem = f"{file_stem(r.spec)}--{file_stem(v.property)}"
            name, n = stem, 1
            while name in taken:
                n += 1
                name = f"{stem}-{n}"
            taken.add(name)
            out.append((Path(folder) / f"{name}{ITF_SUFFIX}", doc))
    return out


def write_new_files(files: Sequence[tuple[Path, Any]]) -> None:
    """Write every file as JSON, or none: refuses (a :class:`ModelError`, exit 2) when one exists."""
    taken = [str(path) for path, _ in files if path.exists()]
    if taken:
        raise ModelError(f"will not overwrite {', '.join(taken)}: remove it or export elsewhere; "
                         "nothing was written")
    for path, doc in files:
        write_atomically(path, json.dumps(doc, indent=2) + "\n")
