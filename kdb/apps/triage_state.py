"""``kdb triage --since STATE``: the buckets a fleet's nightly run has
already seen, so it reports only new ones (docs/triage.md, "Buckets").

The state file is JSON::

    {"kdb_triage_state": 1,
     "buckets": {"05f12e1e7370": {"signature": "deadlock: ...", "first_seen": "2026-11-30T22:00:00Z",
                                  "last_seen": "...", "dumps": 3}}}

keyed by the signature's hash. A state file is untrusted input: it is
parsed as JSON only and checked, and a bad one is refused naming the JSON
path and the rule (nothing is overwritten then); a missing one is empty.
It is written with :func:`kdb.statefiles.atomic_write`.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

from kdb.errors import KdbError
from kdb.statefiles import atomic_write

VERSION = 1
HASH = re.compile(r"[0-9a-f]{12}")
MAX_STATE = 64 << 20


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_state(path: str) -> dict[str, dict[str, Any]]:
    """The buckets PATH records (empty when it does not exist)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_STATE + 1)
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise KdbError(f"{path}: {e.strerror or e}") from None
    if len(raw) > MAX_STATE:
        raise KdbError(f"{path}: larger than {MAX_STATE >> 20} MB")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise KdbError(f"{path}: not a triage state file: {e}") from None
    if not isinstance(doc, dict) or doc.get("kdb_triage_state") != VERSION:
        raise KdbError(f"{path}: $.kdb_triage_state: expected {VERSION}")
    buckets = doc.get("buckets")
    if not isinstance(buckets, dict):
        raise KdbError(f"{path}: $.buckets: expected an object of signature hashes")
    out: dict[str, dict[str, Any]] = {}
    for h, b in buckets.items():
        where = f"$.buckets[{json.dumps(h)}]"
        if not HASH.fullmatch(h):
            raise KdbError(f"{path}: {where}: a key must be a 12-digit signature hash")
        if not isinstance(b, dict) or not isinstance(b.get("signature"), str) \
                or not isinstance(b.get("dumps", 0), int) or isinstance(b.get("dumps", 0), bool):
            raise KdbError(f"{path}: {where}: expected {{signature: text, dumps: count, ...}}")
        out[h] = {"signature": b["signature"], "first_seen": str(b.get("first_seen") or ""),
                  "last_seen": str(b.get("last_seen") or ""), "dumps": b.get("dumps", 0)}
    return out


def new_buckets(table: list[dict[str, Any]], known: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The buckets of TABLE (kdb.apps.triage.buckets) KNOWN has not seen."""
    return [b for b in table if b["hash"] not in known]


def save_state(path: str, known: dict[str, dict[str, Any]], table: list[dict[str, Any]]) -> None:
    """KNOWN with TABLE's buckets added (counts summed), written to PATH."""
    now = _now()
    merged = {h: dict(b) for h, b in known.items()}
    for b in table:
        m = merged.setdefault(b["hash"], {"signature": b["signature"], "first_seen": now, "last_seen": now,
                                          "dumps": 0})
        m["dumps"] += b["count"]
        m["last_seen"] = now
    doc = {"kdb_triage_state": VERSION, "buckets": dict(sorted(merged.items()))}
    atomic_write(Path(path), json.dumps(doc, indent=1) + "\n")
