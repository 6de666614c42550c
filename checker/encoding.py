"""State values as JSON that keeps their types: the value encoding of ``--json`` and ITF.

JSON has one kind of number, no tuples, no sets and only string keys, so ``repr``
text or plain lists would lose what the checker itself tells apart (``0`` and
``False`` and ``0.0``, a tuple and a frozenset, a map with tuple keys). Both
encodings borrow the tagged objects of the Informal Trace Format (ITF, Apalache's
ADR-015): ``{"#tup": [...]}``, ``{"#set": [...]}``, ``{"#map": [[k, v], ...]}`` and
``{"#bigint": "..."}``. Where lifecheck's values go beyond ITF, ``--json``
(:func:`to_data`) adds tags of its own and :func:`from_data` reads every value back;
ITF (:func:`to_itf`) stays within the format, as its consumers expect.

The ``--json`` encoding (version 2 of the result schema):

* ``str`` and ``bool``: themselves; ``None``: ``null``.
* ``int``: a JSON integer within ``±(2**53 - 1)`` (what every JSON reader holds
  exactly), ``{"#bigint": "-123..."}`` beyond.
* ``float``: ``{"#float": repr}`` (``"0.5"``, ``"-0.0"``, ``"inf"``), never a bare
  number, so that ``1.0`` never reads back as ``1``.
* ``tuple``: ``{"#tup": [...]}``; ``frozenset``: ``{"#set": [...]}``, members in a
  fixed order; :class:`~lifecheck.FrozenMap`: ``{"#map": [[key, value], ...]}`` in
  the map's own order.
* ``bytes``: ``{"#bytes": hex}``; an enum member: ``{"#enum": "Type", "name": "MEMBER"}``;
  a frozen dataclass or a named tuple: ``{"#record": "Type", "fields": {name: value}}``;
  anything else: ``{"#unserializable": repr}``.
* A process is referred to by its name, a string (``"broker1"``), as in the model.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from lifecheck.values import FrozenMap, dataclass_fields

#: The largest integer that every JSON reader (JavaScript's numbers included) holds exactly.
SAFE_INT = 2**53 - 1


def to_data(value: Any) -> Any:
    """``value`` in the typed ``--json`` encoding (see the module's docstring)."""
    return _encode(value, itf=False)


def to_itf(value: Any) -> Any:
    """``value`` as an ITF expression.

    Integers are always ``#bigint`` (the form Quint writes, which ADR-015 allows for
    every integer); tuples, sets and maps use the ITF tags; a dataclass or a named
    tuple is an ITF record; ``None`` and an enum member are variants as Quint writes
    them (``{"tag": "None", "value": {"#tup": []}}``); floats, bytes and whatever
    else ITF has no form for are ``{"#unserializable": repr}``.
    """
    return _encode(value, itf=True)


def _encode(value: Any, *, itf: bool) -> Any:
    t = type(value)
    if t is str or t is bool:
        return value
    if value is None:
        return {"tag": "None", "value": {"#tup": []}} if itf else None
    if isinstance(value, enum.Enum):
        if itf:
            return {"tag": value.name, "value": {"#tup": []}}
        return {"#enum": t.__name__, "name": value.name}
    if isinstance(value, int) and t is not bool:
        if itf or not -SAFE_INT <= value <= SAFE_INT:
            return {"#bigint": str(int(value))}
        return int(value)
    if t is float:
        return {"#unserializable": repr(value)} if itf else {"#float": repr(value)}
    if t is bytes:
        return {"#unserializable": repr(value)} if itf else {"#bytes": value.hex()}
    if t is tuple:
        return {"#tup": [_encode(v, itf=itf) for v in value]}
    if t is frozenset:
        return {"#set": _in_order([_encode(v, itf=itf) for v in value])}
    if t is FrozenMap:
        return {"#map": [[_encode(k, itf=itf), _encode(v, itf=itf)] for k, v in value.items()]}
    if t is Record:  # read back from JSON: written again as it was read
        if value.enum:
            name = value.fields["name"]
            return {"tag": name, "value": {"#tup": []}} if itf else \
                {"#enum": value.type_name, "name": name}
        fields = {n: _encode(v, itf=itf) for n, v in value.fields.items()}
        return fields if itf else {"#record": value.type_name, "fields": fields}
    names = dataclass_fields(t) or (getattr(t, "_fields", ()) if isinstance(value, tuple) else ())
    if names:
        fields = {n: _encode(getattr(value, n), itf=itf) for n in names}
        return fields if itf else {"#record": t.__name__, "fields": fields}
    return {"#unserializable": repr(value)}


def _in_order(members: list[Any]) -> list[Any]:
    """Set members sorted by their encoded text: the same set is always written alike."""
    return sorted(members, key=lambda m: json.dumps(m, sort_keys=True))


@dataclass(frozen=True)
class Record:
    """A dataclass or named tuple read back from JSON, where its class is not at hand.

    Equal to another record of the same type name and fields; the checker's own
    values never hold one, so it cannot be mistaken for a model's value. Immutable
    (its fields a FrozenMap), so it can stand inside a rebuilt set or map.
    """

    type_name: str
    fields: FrozenMap
    enum: bool = False  # an enum member (its one field: its name), else a record

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"{self.type_name}({inner})"


def from_data(data: Any) -> Any:
    """The value a :func:`to_data` encoding stands for: ``from_data(to_data(v))`` is ``v``,
    types included, for every value made of atoms, tuples, frozensets and FrozenMaps.

    A record or enum member comes back as a :class:`Record` (its class is not in the
    JSON); an ``#unserializable`` value as its text.
    """
    if data is None or isinstance(data, (str, bool, int)):
        return data
    if isinstance(data, list):
        raise ValueError(f"a bare JSON list is not a value of the encoding: {data!r}")
    if "#tup" in data:
        return tuple(from_data(v) for v in data["#tup"])
    if "#set" in data:
        return frozenset(from_data(v) for v in data["#set"])
    if "#map" in data:
        return FrozenMap((from_data(k), from_data(v)) for k, v in data["#map"])
    if "#bigint" in data:
        return int(data["#bigint"])
    if "#float" in data:
        return float(data["#float"])
    if "#bytes" in data:
        return bytes.fromhex(data["#bytes"])
    if "#record" in data:
        return Record(data["#record"], FrozenMap({k: from_data(v) for k, v in data["fields"].items()}))
    if "#enum" in data:
        return Record(data["#enum"], FrozenMap({"name": data["name"]}), enum=True)
    if "#unserializable" in data:
        return data["#unserializable"]
    raise ValueError(f"not a value of the encoding: {data!r}")
