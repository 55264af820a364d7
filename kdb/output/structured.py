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

SCHEMA_VERSION = 1


class StructuredOutput:
    """Collects records and text per command and writes them as JSON."""

    def __init__(self, mode: str, write: Callable[[str], None], write_err: Callable[[str], None]) -> None:
        self.mode = mode
        self.write = write
        self.write_err = write_err
        self.records: list[dict[str, Any]] = []
        self.text: list[str] = []

    def record(self, dcmd: str, kind: str, record: dict[str, Any]) -> None:
        self.records.append({"dcmd": dcmd, "kind": kind, **hexify(record)})

    def capture(self, text: str) -> None:
        self.text.append(text)

    def error(self, message: str) -> None:
        self.write_err(json.dumps({"error": message, "kdb_json": SCHEMA_VERSION}) + "\n")

    def finish(self, command: str, status: int) -> None:
        # text is kept only from commands that produced no records (headers
        # and other layout of record-producing dcmds are not data)
        text = "".join(self.text) if not self.records else ""
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


# fields that hold addresses: written as "0x..." strings, as in the dump format
# (JSON numbers are exact only up to 2^53)
ADDRESS_FIELDS = frozenset({
    "addr", "thread", "threads", "sp", "resume", "pc", "fp", "args", "proc", "lwp", "cred", "wchan",
    "sobj_addr", "owner", "writer", "logctl", "text", "idle_thread", "waiters_addr"})


def hexify(value: Any, key: str | None = None) -> Any:
    """Records with their address fields as "0x..." strings."""
    if isinstance(value, dict):
        return {k: hexify(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [hexify(v, key) for v in value]
    if key in ADDRESS_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return f"0x{value:x}"
    return value


def _default(v: Any) -> Any:
    if isinstance(v, (set, tuple)):
        return list(v)
    return str(v)


def install(session: Any, mode: str) -> StructuredOutput:
    """Switch a session to structured output."""
    so = StructuredOutput(mode, session._write, session._write_err)
    session.record_sink = so.record
    session.out.sink = so.capture
    session.structured = so
    return so


# The schema of each record kind (version SCHEMA_VERSION): field -> JSON type.
# "addr" means a "0x..." string. docs/json-output.md is generated from this.
A, I, S, B, N = "addr", "integer", "string", "boolean", "number"
RECORD_SCHEMAS: dict[str, dict[str, Any]] = {
    "proc": {"addr": A, "state": S, "pid": I, "ppid": I, "pgid": I, "sid": I, "uid": I, "flags": I,
             "comm": S, "psargs": S, "zone": I, "zonename": S, "task": I, "project": I,
             "service": [S, None], "threads": "list"},
    "pid": {"pid": I, "addr": A},
    "thread": {"addr": A},
    "stack": {"thread": A, "frames": "list"},
    "stack_group": {"threads": "list", "count": I, "state": S, "sobj": S, "error": [S, None],
                    "frames": "list"},
    "status": {"dump": S, "file": S, "bits": S, "nodename": S, "release": S, "version": S,
               "machine": S, "image_uuid": [S, None], "panic": [S, None], "content": S},
    "panic": {"cpu": I, "thread": A, "message": S, "registers": "list"},
    "message": {"logctl": A, "time": [S, None], "text": S},
    "cpu": {"id": I, "addr": A, "flags": I, "nrun": I, "bspl": I, "pri": [I, None], "runrun": B,
            "kprunrun": B, "switch": [I, None], "thread": A, "proc": S, "state": "list",
            "runq": "list", "intr": "list"},
    "module": {"id": I, "text": A, "size": I, "rev": I, "name": S, "desc": [S, None]},
    "whatis": {"addr": A, "text": S},
    "zone": {"addr": A, "id": I, "status": S, "name": S, "path": S, "brand": S, "ip": S,
             "capped_cpu": [N, None], "uuid": [S, None], "nprocs": I},
    "major": {"major": I, "name": S},
    "devinfo": {"addr": A, "name": S, "driver": [S, None], "instance": I, "state": [S, None],
                "major": [I, None], "depth": I, "props": "object", "line": S},
    "wchan": {"addr": A, "type": S, "nwaiters": I, "waiters": "list"},
    "mutex": {"addr": A, "mutex_type": S, "owner": [A, None], "minspl": I, "oldspl": I, "waiters": "list"},
    "rwlock": {"addr": A, "writer": [A, None], "readers": I, "bits": I, "waiters": "list"},
}


def check_record(record: dict[str, Any]) -> list[str]:
    """Problems of a record against its schema (empty when it conforms)."""
    kind = record.get("kind")
    schema = RECORD_SCHEMAS.get(kind or "")
    if schema is None:
        return [f"unknown record kind {kind!r}"]
    problems = []
    for field, want in schema.items():
        if field not in record:
            problems.append(f"{kind}: missing {field}")
            continue
        wants = want if isinstance(want, list) else [want]
        v = record[field]
        if not any(_is(v, w) for w in wants):
            problems.append(f"{kind}.{field}: {v!r} is not {want}")
    return problems


def _is(v: Any, want: Any) -> bool:
    if want is None:
        return v is None
    return {"addr": lambda: isinstance(v, str) and v.startswith("0x"),
            "integer": lambda: isinstance(v, int) and not isinstance(v, bool),
            "string": lambda: isinstance(v, str), "boolean": lambda: isinstance(v, bool),
            "number": lambda: isinstance(v, (int, float)) and not isinstance(v, bool),
            "list": lambda: isinstance(v, list), "object": lambda: isinstance(v, dict)}[want]()


def render_doc() -> str:
    """docs/json-output.md."""
    out = [
        "# Structured output (`--format json` and `jsonl`)", "",
        "Generated from `kdb/structured.py` (`python -m kdb.output.structured > docs/json-output.md`).", "",
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
        "return code (0 OK, 1 error, 2 usage); every record has `dcmd` and `kind`. Output of dcmds",
        "that print text only (`=`, `::echo`...) is in `text`, kept only when a command produced no",
        "records (headers are layout, not data). Addresses are strings `\"0x...\"`,",
        "as in the dump format (JSON numbers are exact only up to 2^53).", "",
        "## Record kinds", ""]
    for kind, schema in RECORD_SCHEMAS.items():
        out.append(f"### `{kind}`")
        out.append("")
        out.append("| field | type |")
        out.append("|---|---|")
        for field, want in schema.items():
            wants = want if isinstance(want, list) else [want]
            text = " or ".join("null" if w is None else "address" if w == "addr" else w for w in wants)
            out.append(f"| `{field}` | {text} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_doc())
