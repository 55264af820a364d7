"""Record kinds: what a dcmd's ``--format json`` records hold (docs/json-output.md).

A module declares each kind of record its dcmds pass to
:meth:`kdb.modapi.Call.emit`, next to those dcmds::

    PROC = module.record("proc", {"addr": ADDR, "pid": INT, "comm": STR,
                                  "service": [STR, None], "threads": LIST})

Field types are :data:`ADDR` (a ``"0x..."`` string in JSON), :data:`INT`,
:data:`STR`, :data:`BOOL`, :data:`NUM`, :data:`LIST`, :data:`OBJECT`, or a
list of them with ``None`` for null. ``addresses`` names the other fields,
nested ones included, whose integers are addresses (``"frames"``'s ``"pc"``).
The schema in docs/json-output.md and the checks of the test suite come from
these declarations; structured output writes every address field as hex.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import attrs

ADDR, INT, STR, BOOL, NUM, LIST, OBJECT = "addr", "integer", "string", "boolean", "number", "list", "object"
FIELD_TYPES = (ADDR, INT, STR, BOOL, NUM, LIST, OBJECT)


def _is_address_type(t: Any) -> bool:
    return t == ADDR or (isinstance(t, list) and ADDR in t)


@attrs.frozen(slots=True)
class RecordKind:
    """One kind of record: its name, required fields with their JSON types,
    and every field name (nested ones too) that holds addresses."""

    name: str
    fields: Mapping[str, Any]
    addresses: frozenset[str]

    @classmethod
    def make(cls, name: str, fields: Mapping[str, Any], addresses: Iterable[str] = ()) -> "RecordKind":
        for f, t in fields.items():
            for one in (t if isinstance(t, list) else [t]):
                if one is not None and one not in FIELD_TYPES:
                    raise ValueError(f"record {name}.{f}: unknown field type {one!r}")
        addrs = {f for f, t in fields.items() if _is_address_type(t)} | set(addresses)
        return cls(name, dict(fields), frozenset(addrs))

    def problems(self, record: Mapping[str, Any]) -> list[str]:
        """What is wrong with RECORD (as written in JSON) against this kind."""
        out = []
        for field, want in self.fields.items():
            if field not in record:
                out.append(f"{self.name}: missing {field}")
                continue
            wants = want if isinstance(want, list) else [want]
            v = record[field]
            if not any(_conforms(v, w) for w in wants):
                out.append(f"{self.name}.{field}: {v!r} is not {want}")
        return out


def _conforms(v: Any, want: Any) -> bool:
    if want is None:
        return v is None
    if want == ADDR:
        return isinstance(v, str) and v.startswith("0x")
    if want == INT:
        return isinstance(v, int) and not isinstance(v, bool)
    if want == STR:
        return isinstance(v, str)
    if want == BOOL:
        return isinstance(v, bool)
    if want == NUM:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if want == LIST:
        return isinstance(v, list)
    return isinstance(v, dict)
