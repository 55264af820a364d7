"""The prompt: mdb's ``> `` or kmdb's ``[cpu]> ``."""

from __future__ import annotations

from kdb.engine.session import Session


def prompt_for(session: Session) -> str:
    """mdb's ``> ``, kmdb's ``[cpu]> ``, or the one ``::set -P`` gave."""
    if session.prompt is not None:
        return session.prompt
    if session.kmdb:
        return f"[{session.target.kmdb_cpu}]> "
    return "> "
