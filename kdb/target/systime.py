"""The dump's clock and CPU count as the kernel keeps them: ``lbolt`` (clock
ticks since boot when the dump was taken) and ``max_ncpus``, for the
kernel variables (kdb.target.globals) and what derives from them
(kdb.target.callouts)."""

from __future__ import annotations

import datetime
from typing import Any

#: NCPU on i86pc: the length of ``cpu[]`` and ``max_ncpus`` unless the dump says
NCPU = 256


def epoch(ts: str | None) -> int | None:
    """Seconds since 1970 of an ISO 8601 time, or None."""
    if not ts:
        return None
    return int(datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp())


def lbolt(d: Any) -> int:
    """Clock ticks since boot when the dump was taken (0 when the dump does
    not give both times)."""
    now, boot = epoch(d.system.time), epoch(d.system.boot_time)
    if now is None or boot is None or now < boot:
        return 0
    return (now - boot) * d.system.hz


def max_ncpus(d: Any) -> int:
    return int(d.globals.get("max_ncpus", max(NCPU, len(d.cpus))))
