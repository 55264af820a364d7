"""Devices and drivers: ``::major2name``, ``::name2major``, ``::prtconf``,
``::devbindings``, and the ``ddi_prop``, ``devinfo`` and ``devnames`` walkers."""

from __future__ import annotations

from typing import Any, Iterator

from kdb.errors import CmdError
from kdb.target.model import DevNode, Dump, Major
from kdb.modapi import ADDR, DCMD_USAGE, INT, OBJECT, STR, Call, Module, Opt, Walk

from .._kernel import entity_at, kdump

module = Module("genunix", targets=("kernel",))

# records (--format json; docs/json-output.md)
module.record("major", {"major": INT, "name": STR})
module.record("devinfo", {"addr": ADDR, "name": STR, "driver": [STR, None], "instance": INT,
                          "state": [STR, None], "major": [INT, None], "depth": INT, "props": OBJECT,
                          "line": STR})

SIZEOF_DDI_PROP = 0x30
ATTACHED = ("attached", "online", "ready")


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
    addr = m.prop_base
    for p in m.props:
        for _ in range(p.repeat):
            yield addr, p.name, p.value
            addr += SIZEOF_DDI_PROP


def _major_of_prop(dump: Dump, addr: int) -> Major | None:
    for m in dump.majors:
        if m.prop_base <= addr < m.prop_base + SIZEOF_DDI_PROP * m.prop_count:
            return m
    return None


@module.walker("ddi_prop", "walk a driver's global property list (struct ddi_prop)")
def walk_ddi_prop(walk: Walk):
    """``::walk ddi_prop`` walks every driver's list; ``MAJOR::walk ddi_prop``
    one driver's (by major number or devnames address); ``PROP::walk ddi_prop``
    the rest of a list from one of its entries."""
    dump = kdump(walk)
    if walk.addr is None:
        return (a for m in dump.majors for a, _, _ in prop_entries(m))
    m = dump.major_by_num.get(walk.addr)
    if m is None:
        m = next((x for x in dump.majors if x.devnames == walk.addr), None)
    if m is not None:
        base, count = m.prop_base, m.prop_count
        return iter(range(base, base + SIZEOF_DDI_PROP * count, SIZEOF_DDI_PROP))
    m = _major_of_prop(dump, walk.addr)
    if m is None or (walk.addr - m.prop_base) % SIZEOF_DDI_PROP:
        raise CmdError(f"failed to read ddi_prop at {walk.addr:x}: no mapping for address")
    end = m.prop_base + SIZEOF_DDI_PROP * m.prop_count
    return iter(range(walk.addr, end, SIZEOF_DDI_PROP))


@module.walker("devnames", "walk the devnames array (one entry per major number)")
def walk_devnames(walk: Walk):
    return (m.devnames for m in kdump(walk).majors)


@module.walker("devinfo", "walk the device tree (struct dev_info), depth first")
def walk_devinfo(walk: Walk):
    dump = kdump(walk)
    roots = dump.devinfo
    if walk.addr is not None:
        roots = [entity_at(dump.devnode_by_addr, walk.addr, "dev_info")]
    return (n.addr for r in roots for n in _preorder(r))


def _preorder(n: DevNode) -> Iterator[DevNode]:
    yield n
    for c in n.children:
        yield from _preorder(c)


# ---------------------------------------------------------------------------
# ::prtconf and ::devbindings
# ---------------------------------------------------------------------------
def _devnode_line(n: DevNode) -> str:
    text = n.name
    if n.instance >= 0:
        text += f", instance #{n.instance}"
    if n.driver is None:
        if n.state not in ATTACHED:
            text += " (driver not attached)"
        else:
            text += " (could not determine driver name)"
    elif n.state not in ATTACHED:
        text += " (driver not attached)"
    elif n.driver != n.name:
        text += f" (driver name: {n.driver})"
    return text


def _prop_text(value: Any) -> tuple[str, str, int]:
    if isinstance(value, bool):
        return "boolean", "", 0
    if isinstance(value, int):
        return "int", f"{value & 0xFFFFFFFF:08x}", 1
    if isinstance(value, str):
        return "string", f"'{_esc(value)}'", 1
    if isinstance(value, list):
        if all(isinstance(v, int) for v in value):
            return "int", ".".join(f"{v & 0xFFFFFFFF:08x}" for v in value), len(value)
        return "string", " + ".join(f"'{_esc(str(v))}'" for v in value), len(value)
    return "unknown", "", 0


def _esc(s: str) -> str:
    return "".join(ch if 0x20 <= ord(ch) < 0x7F or ord(ch) > 0x9F else "\\x%02x" % ord(ch) for ch in s)


def _print_props(call: Call, props: dict[str, Any], title: str, indent: int) -> None:
    if not props:
        return
    pad = " " * indent
    call.printf("%s%s\n", pad, title)
    for name, value in props.items():
        kind, text, items = _prop_text(value)
        call.printf("%s    name='%s' type=%s items=%d\n", pad, _esc(name), kind, items)
        if text:
            call.printf("%s        value=%s\n", pad, text)


def _node_record(n: DevNode) -> dict[str, Any]:
    return {"addr": n.addr, "name": n.name, "driver": n.driver, "instance": n.instance,
            "state": n.state, "major": n.major, "depth": n.depth, "props": n.props,
            "line": _devnode_line(n)}


@module.dcmd("prtconf", "?", "print devinfo tree",
             help="Print the device tree (or the subtree at the address), one node a\n"
                  "line, indented by depth: address, name, instance and driver.",
             options=[Opt("v", bool, "with each node's properties"),
                      Opt("p", bool, "the node's parents instead of its children"),
                      Opt("c", bool, "its children (the default)"),
                      Opt("d", str, "only nodes bound to that driver", arg="driver"),
                      Opt("i", int, "only nodes with that instance number", arg="inst")])
def prtconf(call: Call) -> int | None:
    dump = kdump(call)
    o = call.opts
    if call.addrspec:
        node = entity_at(dump.devnode_by_addr, call.addr, "dev_info")
        if o["p"]:
            chain = []
            n: DevNode | None = node
            while n is not None:
                chain.append(n)
                n = n.parent
            nodes = list(reversed(chain))
        else:
            nodes = list(_preorder(node))
        base = nodes[0].depth
    else:
        nodes = [n for r in dump.devinfo for n in _preorder(r)]
        base = 0
    if o["d"] is not None:
        nodes = [n for n in nodes if n.driver == o["d"]]
    if o["i"] is not None:
        nodes = [n for n in nodes if n.instance == o["i"]]
    if call.hdrspec and not call.pipe_out:
        call.printf("%<u>%-?s %-50s%</u>\n", "DEVINFO", "NAME")
    flat = o["d"] is not None or o["i"] is not None
    for n in nodes:
        rec = _node_record(n)

        def render(c: Call, r: dict[str, Any]) -> None:
            if c.pipe_out:
                c.printf("%-0?p\n", r["addr"])
                return
            pad = "" if flat else " " * (4 * (r["depth"] - base))
            c.printf("%s%-0?p %s\n", pad, r["addr"], r["line"])
            if o["v"]:
                _print_props(c, r["props"], "Driver properties:", len(pad) + 8)

        call.emit("devinfo", rec, render)
    return None


@module.dcmd("devbindings", "[device-name | major-num]",
             "print devinfo nodes bound to device-name or major-num",
             help="Print the device nodes bound to a driver, given by name or major\n"
                  "number, each with its properties.",
             options=[Opt("q", bool, "quiet: the node lines only"),
                      Opt("s", bool, "summary: address, major, name and state in columns")])
def devbindings(call: Call) -> int | None:
    dump = kdump(call)
    o, rest = call.opts, call.args
    if call.addrspec:
        if rest:
            return DCMD_USAGE
        m = dump.major_by_num.get(call.addr)
    else:
        if len(rest) != 1:
            return DCMD_USAGE
        arg = rest[0]
        m = dump.major_by_name.get(str(arg)) if isinstance(arg, str) else None
        if m is None:
            try:
                m = dump.major_by_num.get(call.session.arg_to_int(arg))
            except CmdError:
                m = None
    if m is None:
        raise CmdError(f"failed to get major number for {rest[0] if rest else call.addr}")
    nodes = [n for r in dump.devinfo for n in _preorder(r) if n.major == m.major]
    if o["s"] and not call.pipe_out:
        call.printf("%<u>%-?s %5s %-20s %s%</u>\n", "DEVINFO", "MAJ", "NODENAME", "NODESTATE")
    for n in nodes:
        rec = _node_record(n)

        def render(c: Call, r: dict[str, Any]) -> None:
            if c.pipe_out:
                c.printf("%p\n", r["addr"])
            elif o["s"]:
                c.printf("%0?p %5d %-20s %s\n", r["addr"], m.major, r["name"] +
                         (f"#{r['instance']}" if r["instance"] >= 0 else ""), r["state"] or "-")
            else:
                c.printf("%-0?p %s\n", r["addr"], r["line"])
                if not o["q"]:
                    _print_props(c, r["props"], "Driver properties:", 8)

        call.emit("devinfo", rec, render)
    return None
