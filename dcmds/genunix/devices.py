"""Drivers: ``::major2name``, ``::name2major``, and the ``ddi_prop`` and
``devnames`` walkers (the device tree is in devinfo.py)."""

from __future__ import annotations

from typing import Any, Iterator

from kdb.errors import CmdError
from kdb.target.dump.checks import SIZEOF_DDI_PROP
from kdb.target.model import Dump, Major
from kdb.modapi import DCMD_USAGE, INT, STR, Call, Module, Walk

from .._kernel import kdump

module = Module("genunix", targets=("kernel",))

# records (--format json; docs/json-output.md)
module.record("major", {"major": INT, "name": STR})


def _major_arg(call: Call) -> int:
    if call.addrspec:
        if call.args:
            raise _Usage()
        return call.addr
    if len(call.args) != 1:
        raise _Usage()
    return call.session.arg_to_int(call.args[0])


class _Usage(Exception):
    pass


@module.dcmd("major2name", "?[major-num]", "convert major number to dev name",
             help="Print the driver name of a major number: e4::major2name or\n"
                  "::major2name e4.")
def major2name(call: Call) -> int | None:
    dump = kdump(call)
    try:
        num = _major_arg(call)
    except _Usage:
        return DCMD_USAGE
    m = dump.major_by_num.get(num)
    if m is None:
        raise CmdError("failed to convert major number to name")
    call.emit("major", {"major": m.major, "name": m.name}, lambda c, r: c.printf("%s\n", r["name"]))
    return None


@module.dcmd("name2major", "driver-name", "convert dev name to major number",
             help="Print the major number of a driver: ::name2major ii.")
def name2major(call: Call) -> int | None:
    dump = kdump(call)
    if call.addrspec or len(call.args) != 1:
        return DCMD_USAGE
    m = dump.major_by_name.get(str(call.args[0]))
    if m is None:
        raise CmdError("failed to convert name to major number")
    call.emit("major", {"major": m.major, "name": m.name}, lambda c, r: c.printf("0x%x\n", r["major"]))
    return None


# ---------------------------------------------------------------------------
# the property list walker: every entry at its own address
# ---------------------------------------------------------------------------
def prop_entries(m: Major) -> Iterator[tuple[int, str, Any]]:
    """(address, name, value) of every entry of a driver's global property list."""
    for k, (name, value) in enumerate(m.entries()):
        yield m.prop_base + k * SIZEOF_DDI_PROP, name, value


def prop_lists(dump: Dump) -> list[tuple[int, int]]:
    """Every property list in memory: (first entry's address, entries), the
    drivers' global lists and the device nodes' lists."""
    out = [(m.prop_base, m.prop_count) for m in dump.majors if m.prop_count]
    for n in dump.devnode_by_addr.values():
        for base, which in zip(n.prop_lists, ("system", "driver", "hardware")):
            if base:
                out.append((base, len(n.prop_list(which))))
    return out


@module.walker("ddi_prop", "walk a property list (struct ddi_prop)")
def walk_ddi_prop(walk: Walk):
    """``::walk ddi_prop`` walks every driver's global list; ``MAJOR::walk
    ddi_prop`` one driver's (by major number or devnames address);
    ``PROP::walk ddi_prop`` the rest of any list (a driver's or a device
    node's) from one of its entries."""
    dump = kdump(walk)
    if walk.addr is None:
        return (a for m in dump.majors for a, _, _ in prop_entries(m))
    m = dump.major_by_num.get(walk.addr)
    if m is None:
        m = next((x for x in dump.majors if x.devnames == walk.addr), None)
    if m is not None:
        base, count = m.prop_base, m.prop_count
        return iter(range(base, base + SIZEOF_DDI_PROP * count, SIZEOF_DDI_PROP))
    for base, count in prop_lists(dump):
        end = base + SIZEOF_DDI_PROP * count
        if base <= walk.addr < end and not (walk.addr - base) % SIZEOF_DDI_PROP:
            return iter(range(walk.addr, end, SIZEOF_DDI_PROP))
    raise CmdError(f"failed to read ddi_prop at {walk.addr:x}: no mapping for address")


@module.walker("devnames", "walk devnames array")
def walk_devnames(walk: Walk):
    return (m.devnames for m in kdump(walk).majors)

