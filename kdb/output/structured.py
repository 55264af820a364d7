"""Structured output: ``kdb --format json|jsonl``.

Each command line produces one JSON document (``json``) or one JSON line per
record (``jsonl``) instead of text. A dcmd's records are what it passes to
:meth:`kdb.modapi.Call.emit` (the same data its text layout renders); a
dcmd that only prints text contributes that text. Errors become JSON objects
on stderr. The schema is versioned and documented in docs/json-output.md.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

from kdb.modapi.records import RecordKind
from kdb.modapi.registry import Registry

SCHEMA_VERSION = 1


class StructuredOutput:
    """Collects records and text per command and writes them as JSON."""

    def __init__(self, mode: str, write: Callable[[str], None], write_err: Callable[[str], None],
                 addresses: frozenset[str] = frozenset()) -> None:
        self.mode = mode
        self.addresses = addresses      # the record fields that hold addresses
        self.write = write
        self.write_err = write_err
        self.records: list[dict[str, Any]] = []
        self.text: list[str] = []

    def record(self, dcmd: str, kind: str, record: dict[str, Any]) -> None:
        self.records.append(json_record(dcmd, kind, record, self.addresses))

    def capture(self, text: str) -> None:
        self.text.append(text)

    def begin_call(self) -> tuple[int, int]:
        """Before a statement's last stage runs: where its records and text start."""
        return len(self.records), len(self.text)

    def end_call(self, dcmd: str, mark: tuple[int, int]) -> None:
        """After it ran: a stage that made no records (``=``, ``::echo``...)
        gets its text as a ``text`` record, in order with the others; the
        text of one that made records is its layout, and is dropped."""
        records, texts = mark
        text = "".join(self.text[texts:])
        del self.text[texts:]
        if len(self.records) == records and text:
            self.records.append({"dcmd": dcmd, "kind": "text", "text": text})

    def error(self, message: str) -> None:
        self.write_err(json.dumps({"error": message, "kdb_json": SCHEMA_VERSION}) + "\n")

    def finish(self, command: str, status: int) -> None:
        # what no dcmd wrote (a shell escape's output) is the document's text
        text = "".join(self.text)
        records, self.records, self.text = self.records, [], []
        if self.mode == "jsonl":
            for r in records:
                self.write(json.dumps({"command": command, **r}, default=_default) + "\n")
            if text:
                self.write(json.dumps({"command": command, "kind": "text", "text": text}) + "\n")
            return
        doc = {"kdb_json": SCHEMA_VERSION, "command": command, "status": status, "records": records}
        if text:
            doc["text"] = text
        self.write(json.dumps(doc, default=_default, indent=1) + "\n")


def json_record(dcmd: str, kind: str, record: dict[str, Any], addresses: frozenset[str]) -> dict[str, Any]:
    """A record as the JSON output (and the Python API) give it: its dcmd
    and kind first, its address fields as "0x..." strings."""
    return {"dcmd": dcmd, "kind": kind, **hexify(record, addresses)}


def hexify(value: Any, addresses: frozenset[str], key: str | None = None) -> Any:
    """Records with their address fields (ADDRESSES, at any depth) as "0x..." strings."""
    if isinstance(value, dict):
        return {k: hexify(v, addresses, k) for k, v in value.items()}
    if isinstance(value, list):
        return [hexify(v, addresses, key) for v in value]
    if key in addresses and isinstance(value, int) and not isinstance(value, bool):
        return f"0x{value:x}"
    return value


def _default(v: Any) -> Any:
    if isinstance(v, (set, tuple)):
        return list(v)
    return str(v)


def install(session: Any, mode: str) -> StructuredOutput:
    """Switch a session to structured output."""
    so = StructuredOutput(mode, session._write, session._write_err,
                          session.registry.address_fields())
    session.record_sink = so.record
    session.out.sink = so.capture
    session.structured = so
    return so


def kernel_record_kinds() -> dict[str, RecordKind]:
    """The record kinds of every bundled module, as a kernel session has them."""
    return Registry.loaded("kernel").record_kinds()


def check_record(record: dict[str, Any], kinds: dict[str, RecordKind] | None = None) -> list[str]:
    """Problems of a record (as written in JSON) against its declared kind
    (empty when it conforms)."""
    kinds = kernel_record_kinds() if kinds is None else kinds
    kind = kinds.get(record.get("kind") or "")
    if kind is None:
        return [f"unknown record kind {record.get('kind')!r}"]
    return kind.problems(record)


def render_doc() -> str:
    """docs/json-output.md."""
    out = [
        "# Structured output (`--format json` and `jsonl`)", "",
        "Generated from the record kinds the modules in `dcmds/` declare next to their dcmds",
        "(`python -m kdb.output.structured > docs/json-output.md`).", "",
        "`kdb --format json -e CMDS DUMP` prints one JSON document per command line instead of",
        "text; `--format jsonl` prints one JSON object per record, each carrying its `command`.",
        "The records are the data each dcmd's text layout renders, so text stays byte-identical",
        "to mdb while scripts get fields. Errors are JSON objects on stderr:",
        "`{\"error\": \"invalid command '::nosuch': unknown dcmd name\", \"kdb_json\": 1}`.", "",
        "A document:", "", "```json",
        '{"kdb_json": 1, "command": "e4::major2name", "status": 0,',
        ' "records": [{"dcmd": "major2name", "kind": "major", "major": 228, "name": "ii"}]}',
        "```", "",
        "`kdb_json` is the schema version (" + str(SCHEMA_VERSION) + "); `status` is the last dcmd's",
        "return code (0 OK, 1 error, 2 usage); every record has `dcmd` and `kind`. A dcmd that",
        "prints text and makes no records (`=`, `::echo`, `::help`...) gives a record of kind",
        "`text` with that text, in order with the others: `-e '::echo hi; ::status'` gives a",
        "`text` record, then a `status` record. The text of a dcmd that makes records (its",
        "headers) is layout, not data, and is left out. What no dcmd wrote (a shell escape's",
        "output) is the document's `text`. Addresses are strings `\"0x...\"`,",
        "as in the dump format (JSON numbers are exact only up to 2^53).", "",
        "## Record kinds", ""]
    for kind, rk in sorted(kernel_record_kinds().items()):
        schema = rk.fields
        out.append(f"### `{kind}`")
        out.append("")
        out.append("| field | type |")
        out.append("|---|---|")
        for field, want in schema.items():
            wants = want if isinstance(want, list) else [want]
            text = " or ".join("null" if w is None else "address" if w == "addr" else w for w in wants)
            out.append(f"| `{field}` | {text} |")
        nested = sorted(rk.addresses - set(schema))
        if nested:
            out.append("")
            out.append("Also written as addresses: " + ", ".join(f"`{f}`" for f in nested) + ".")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_doc())
