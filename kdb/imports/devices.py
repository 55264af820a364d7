"""Parser of ``::prtconf``'s device tree (devinfo.c prtconf and
devinfo_print): one node per line, ``%-0?p %s`` indented four columns per
level, its instance and driver after the name."""

from __future__ import annotations

import re

from kdb.imports.facts import Facts
from kdb.imports.outputs import hexval

NODE = re.compile(r"^(?P<pad> *)(?P<addr>[0-9a-f]{8,16}) (?P<name>\S(?:.*?\S)?)(?:, instance #(?P<inst>\d+))? "
                  r"\((?:driver name: (?P<driver>[^)]+)|(?P<detached>driver not attached)"
                  r"|(?P<unknown>could not determine driver name))\)$")
#: devinfo.c DEVINFO_TREE_INDENT
INDENT = 4


def prtconf(f: Facts, out: list[str], line: int, problems: list[tuple[int, str]], options: str) -> None:
    """Each node's name, instance and driver (a driver name means it
    attached; "driver not attached" a state below DS_ATTACHED) and its
    place in the tree, from the indentation: a node's parent is the
    nearest node above it one level up. ``ADDR::prtconf`` prints the
    node's ancestors and subtree at their depths from the root, so several
    listings merge; with -v the property lists are skipped (not read)."""
    stack: list[int] = []            # the nodes above, by depth
    skipped = 0
    listing: list[int] = []
    f.device_listings.append(listing)
    for k, text in enumerate(out):
        n = line + 1 + k
        if text.split()[:2] == ["DEVINFO", "NAME"]:
            stack, listing = [], []
            f.device_listings.append(listing)
            continue
        m = NODE.match(text)
        if m is None or len(m.group("pad")) % INDENT:
            if text.strip() and "-v" not in options:
                problems.append((n, f"::prtconf: not a device node line: {text[:60]!r}"))
            elif text.strip():
                skipped += 1
            continue
        depth = len(m.group("pad")) // INDENT
        if depth > len(stack):
            problems.append((n, "::prtconf: a node deeper than the node above it allows"))
            continue
        del stack[depth:]
        addr = hexval(m.group("addr"))
        d = f.device(addr)
        d.put("name", m.group("name"), n)
        d.put("instance", int(m.group("inst")) if m.group("inst") is not None else -1, n)
        d.put("attached", m.group("detached") is None, n)
        if m.group("driver"):
            d.put("driver", m.group("driver"), n)
        d.put("parent", stack[-1] if stack else None, n)
        stack.append(addr)
        listing.append(addr)
    if skipped:
        problems.append((line, f"::prtconf{options}: {skipped} property lines not read (kdb imports the tree)"))
