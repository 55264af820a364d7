"""What a panic message says: its kind and its parameters.

An expert reads the panic string first. Some panics are the cause (a bad
trap, a failed assertion, heap corruption, memory exhausted); some are
*forced*: an operator or a watchdog took the dump of a system that was
already sick (``reboot -d``/``uadmin 5 1``, an NMI, kmdb's
``$<systemdump``, the deadman timer), and the story is the hang the dump
holds, not the panic. The strings are illumos's (cited per pattern).
"""

from __future__ import annotations

import re
from typing import Any

#: kind -> (pattern, forced?). The first match wins.
KINDS: list[tuple[str, re.Pattern[str], bool]] = [
    # uadmin.c kadmin A_DUMP (reboot -d, uadmin 5 1, savecore -L aside)
    ("user request", re.compile(r"forced crash dump initiated at user request"), True),
    # pcplusmp/apix apic_nmi_intr, xen_psm: panic("NMI received\n")
    ("nmi", re.compile(r"^NMI received"), True),
    # kmdb's $<systemdump and the OBP's sync both panic this way
    ("systemdump", re.compile(r"^sync initiated|systemdump"), True),
    # clock.c deadman(): "deadman: timed out after %d seconds of clock inactivity"
    ("deadman", re.compile(r"deadman: timed out after (?P<seconds>\d+) seconds of clock inactivity"
                           r"|deadman timer"), True),
    # i86pc trap.c die(): "BAD TRAP: type=%x (#%s %s) rp=%p addr=%p [occurred in module "%s" due to %s]"
    ("bad trap", re.compile(r"BAD TRAP: type=(?P<type>[0-9a-fA-F]+) \(#(?P<mnemonic>\S+) (?P<trap>[^)]*)\) "
                            r"rp=(?P<rp>[0-9a-fA-Fx]+)(?: addr=(?P<addr>[0-9a-fA-Fx]+))?"
                            r"(?: occurred in module \"(?P<module>[^\"]*)\" due to (?P<reason>.*))?"), False),
    # debug.c assfail/assfail3: "assertion failed: %s, file: %s, line: %d"
    # and "assertion failed: %s (0x%llx %s 0x%llx), file: %s, line: %d"
    ("assertion", re.compile(r"assertion failed: (?P<expression>.*?)(?: \((?P<values>0x[0-9a-f]+ \S+ "
                             r"0x[0-9a-f]+)\))?, file: (?P<file>[^,]+), line: (?P<line>\d+)"), False),
    # kmem.c kmem_error: "kernel heap corruption detected" (and its kmem_error kinds)
    ("heap corruption", re.compile(r"kernel heap corruption detected|modified after being freed|"
                                   r"duplicate free|freed a buffer .* not allocated|bad free|"
                                   r"redzone violation"), False),
    ("out of memory", re.compile(r"out of memory|no memory|kmem_alloc.*failed", re.IGNORECASE), False),
]


def classify(message: str) -> dict[str, Any]:
    """``{"kind": ..., "forced": bool, **parameters}`` of a panic message
    (kind ``other`` when none is recognised); numeric parameters as ints."""
    for kind, pattern, forced in KINDS:
        m = pattern.search(message)
        if m is None:
            continue
        out: dict[str, Any] = {"kind": kind, "forced": forced}
        for k, v in m.groupdict().items():
            if v is None:
                continue
            if k in ("line", "seconds"):
                out[k] = int(v)
            elif k == "type":
                out[k] = int(v, 16)
            else:
                out[k] = v.strip()
        return out
    return {"kind": "other", "forced": False}
