"""The device tree: ``::prtconf``, ``::devinfo``, ``::devbindings`` and the
``devinfo``, ``devinfo_parents`` and ``devinfo_children`` walkers.

Every layout here is genunix's devinfo.c: the OpenSolaris era as of the
2009 file (``devinfo_print``, ``prtconf``, ``devinfo``, ``devbindings``,
``major_to_addr``), the illumos era as of the 2016 file, which added
``::prtconf -d`` and bare addresses into a pipe (DEVINFO_PIPE).
"""

from __future__ import annotations

from typing import Any, Iterator

from kdb.errors import CmdError
from kdb.target.devtree_images import devi_next_chains
from kdb.target.globals import devcnt
from kdb.target.model import DS_ATTACHED, DevNode, Dump
from kdb.modapi import ADDR, DCMD_USAGE, INT, OBJECT, STR, Call, Module, Opt, Walk

from .._kernel import entity_at, kdump
from .devprops import PROP_LISTS, print_props

module = Module("genunix", targets=("kernel",))

# records (--format json; docs/json-output.md)
module.record("devinfo", {"addr": ADDR, "name": STR, "driver": [STR, None], "instance": INT,
                          "state": [STR, None], "major": [INT, None], "depth": INT, "props": OBJECT,
                          "line": STR})

DEVINFO_TREE_INDENT = 4       # devinfo.c: indent for devs one down in tree
DEVINFO_PROPLIST_INDENT = 8   # devinfo.c: indent for properties lists

#: devinfo.c ``di_state``, indexed by node state + 1 ("long words are
#: deliberately truncated so that output fits in 80 column")
DI_STATE = ("DS_INVAL", "DS_PROTO", "DS_LINKED", "DS_BOUND", "DS_INITIA", "DS_PROBED",
            "DS_ATTACH", "DS_READY", "?")


# ---------------------------------------------------------------------------
# the walks, as devinfo.c's walkers order them, each node with its depth
# ---------------------------------------------------------------------------
def _subtree(n: DevNode, depth: int) -> Iterator[tuple[DevNode, int]]:
    stack = [(n, depth)]
    while stack:
        node, d = stack.pop()
        yield node, d
        stack.extend((c, d + 1) for c in reversed(node.children))


def _top(dump: Dump) -> list[DevNode]:
    if not dump.devinfo:
        raise CmdError("failed to read 'top_devinfo'")
    return dump.devinfo


def parents_walk(dump: Dump, addr: int | None) -> list[tuple[DevNode, int]]:
    """``devinfo_parents``: the root down to the node, at depths 0, 1, ..."""
    n: DevNode | None = _top(dump)[0] if addr is None else entity_at(dump.devnode_by_addr, addr, "devinfo")
    chain = []
    while n is not None:
        chain.append(n)
        n = n.parent
    return [(x, d) for d, x in enumerate(reversed(chain))]


def children_walk(dump: Dump, addr: int | None) -> Iterator[tuple[DevNode, int]]:
    """``devinfo_children``: the node and its subtree, the node at depth 0;
    without an address the whole tree from the root."""
    if addr is None:
        for r in _top(dump):
            yield from _subtree(r, 0)
        return
    yield from _subtree(entity_at(dump.devnode_by_addr, addr, "devinfo"), 0)


def tree_walk(dump: Dump, addr: int | None) -> Iterator[tuple[DevNode, int]]:
    """``devinfo``: the node's ancestors and the node, then its subtree, each
    at its depth from the root (devinfo_walk_step: parents, then children)."""
    if addr is None:
        yield from children_walk(dump, None)
        return
    chain = parents_walk(dump, addr)
    yield from chain
    node, depth = chain[-1]
    for c in node.children:
        yield from _subtree(c, depth + 1)


@module.walker("devinfo", "walk devinfo tree or subtree")
def walk_devinfo(walk: Walk):
    return (n.addr for n, _ in tree_walk(kdump(walk), walk.addr))


@module.walker("devinfo_parents", "walk ancestors of devinfo node")
def walk_devinfo_parents(walk: Walk):
    return (n.addr for n, _ in parents_walk(kdump(walk), walk.addr))


@module.walker("devinfo_children", "walk children of devinfo node")
def walk_devinfo_children(walk: Walk):
    return (n.addr for n, _ in children_walk(kdump(walk), walk.addr))


def bound_nodes(dump: Dump, major: int) -> list[DevNode]:
    """The devi_next chain of a driver (devnames[major].dn_head onward)."""
    return devi_next_chains(dump).get(major, [])


@module.walker("devi_next", "walk devinfo list")
def walk_devi_next(walk: Walk):
    """From a node, it and the nodes bound to the same driver after it."""
    if walk.addr is None:
        return iter(())
    dump = kdump(walk)
    n = dump.devnode_by_addr.get(walk.addr)
    if n is None or n.major is None:
        return iter((walk.addr,) if n is not None else ())
    chain = bound_nodes(dump, n.major)
    return (x.addr for x in chain[chain.index(n):])


# ---------------------------------------------------------------------------
# one node (devinfo.c ``devinfo_print``)
# ---------------------------------------------------------------------------
def driver_name(dump: Dump, n: DevNode) -> str | None:
    """mdb_devinfo2driver: the name of the node's major in the devnames
    array; a node with no major has none (``could not determine``)."""
    if n.major is not None:
        m = dump.major_by_num.get(n.major)
        if m is not None:
            return m.name
    return n.driver


def driver_suffix(dump: Dump, n: DevNode) -> str:
    """What follows the name and instance. 2009: below DS_ATTACHED "driver
    not attached", else the driver's name if mdb finds one; 2016 looks the
    name up only above DS_ATTACHED, which a dump's states never sit at, so
    the two eras print the same."""
    if n.node_state < DS_ATTACHED:
        return " (driver not attached)"
    name = driver_name(dump, n)
    if name is None:
        return " (could not determine driver name)"
    return f" (driver name: {name})"


def node_line(dump: Dump, n: DevNode) -> str:
    text = n.name
    if n.instance >= 0:
        text += f", instance #{n.instance}"
    return text + driver_suffix(dump, n)


def _record(dump: Dump, n: DevNode, depth: int) -> dict[str, Any]:
    return {"addr": n.addr, "name": n.name, "driver": driver_name(dump, n), "instance": n.instance,
            "state": n.state, "major": n.major, "depth": depth, "props": n.props,
            "line": node_line(dump, n)}


def _print_node(call: Call, dump: Dump, n: DevNode, depth: int, *, bold: bool, verbose: bool) -> None:
    """devinfo_print: ``%-0?p %s`` (bold for the node asked about), instance,
    driver; with properties, each list under its title, 8 columns in."""
    def render(c: Call, r: dict[str, Any]) -> None:
        pad = " " * (depth * DEVINFO_TREE_INDENT)
        b, eb = ("%<b>", "%</b>") if bold else ("", "")
        c.printf(f"%s{b}%-0?p %s{eb}%s\n", pad, n.addr, n.name, r["line"][len(n.name):])
        if verbose:
            indent = len(pad) + DEVINFO_PROPLIST_INDENT
            for title, base in zip(("System", "Driver", "Hardware"), n.prop_lists):
                if base:
                    which = PROP_LISTS[title]
                    print_props(c, title, base, ((name, v) for name, v in n.prop_list(which).items()), indent)
            m = dump.global_props_of(n)
            if m is not None:
                print_props(c, "Global", m.prop_base, m.entries(), indent)

    call.emit("devinfo", _record(dump, n, depth), render)


# ---------------------------------------------------------------------------
# ::prtconf
# ---------------------------------------------------------------------------
@module.dcmd("prtconf", "?", "print devinfo tree",
             help='Prints the devinfo tree from a given node.\n'
                  'Without the address of a "struct devinfo" given, prints from the root;\n'
                  'with an address, prints the parents of, and all children of, that address.',
             options=[Opt("v", bool, "be verbose - print device property lists"),
                      Opt("p", bool, "only print the ancestors of the given node"),
                      Opt("c", bool, "only print the children of the given node"),
                      Opt("d", str, "only print instances of driver (illumos)", arg="driver")])
def prtconf(call: Call) -> int | None:
    dump = kdump(call)
    o = call.opts
    illumos = call.session.target.era != "opensolaris"
    if o["d"] is not None and not illumos:
        return DCMD_USAGE               # 2009 devinfo.c: getopts knows -v -p -c only
    if not dump.devinfo:
        # devinfo.c prtconf: mdb_warn, then "return (NULL)", which is DCMD_OK
        call.warn("failed to read 'top_devinfo'")
        return None
    root = dump.devinfo[0]
    addr = call.addr if call.addrspec else None
    base = addr if addr is not None else root.addr
    allbold = addr is None and o["v"]
    pipe = illumos and call.pipe_out   # 2016: DEVINFO_PIPE, addresses only
    if not pipe:
        call.printf("%<u>%-?s %-50s%</u>\n", "DEVINFO", "NAME")
    parent, child = not o["c"], not o["p"]     # -p clears CHILD, -c clears PARENT
    if parent and child:
        nodes: Iterator[tuple[DevNode, int]] | list[tuple[DevNode, int]] = tree_walk(dump, addr)
    elif parent:
        nodes = parents_walk(dump, addr)
    elif child:
        nodes = children_walk(dump, addr)
    else:
        nodes = [(entity_at(dump.devnode_by_addr, base, "device"), 0)]
    for n, depth in nodes:
        if o["d"] is not None and (n.node_state <= DS_ATTACHED or driver_name(dump, n) != o["d"]):
            continue
        if pipe:
            call.printf("%-0?p\n", n.addr)
            continue
        _print_node(call, dump, n, depth, bold=allbold or n.addr == base, verbose=o["v"])
    return None


# ---------------------------------------------------------------------------
# ::devinfo and ::devbindings
# ---------------------------------------------------------------------------
DEVINFO_OPTS = [Opt("q", bool, "be quiet - don't print device property lists"),
                Opt("s", bool, "print summary of dev_info structures")]

#: devinfo.c ``devi_state_masks``: the devi_state bits a dump records
DEVICE_OFFLINE = "DEVICE_OFFLINE"


def _summary_header(call: Call) -> None:
    # devinfo.c devinfo(): three header lines, the last underlined
    call.printf("%-?s %5s %?s %-20s %-s\n"
                "%-?s %5s %?s %-20s %-s\n"
                "%<u>%-?s %5s %?s %-20s %-15s%</u>\n",
                "DEVINFO", "MAJ", "REFCNT", "NODENAME", "NODESTATE",
                "", "INST", "CIRCULAR", "BINDNAME", "STATE",
                "", "", "THREAD", "", "FLAGS")


def _summary(call: Call, dump: Dump, n: DevNode) -> None:
    """devinfo(): ``%0?p %5d %?d %-20s %s``, ``%?s %5d %?d %-20s <%b>``,
    ``%?s %5s %?p %-20s <%b>`` and a blank line. The binding name is the
    node's name; devi_circular and devi_busy_thread are 0 in a dump at rest,
    and the devi_flags bits are not recorded."""
    def render(c: Call, r: dict[str, Any]) -> None:
        nodename = n.name + (f"@{n.unit_address}" if n.unit_address else "")
        c.printf("%0?p %5d %?d %-20s %s\n", n.addr, -1 if n.major is None else n.major,
                 n.refcnt, nodename, DI_STATE[min(n.node_state + 1, len(DI_STATE) - 1)])
        c.printf("%?s %5d %?d %-20s <%s>\n", "", n.instance, 0, n.name,
                 DEVICE_OFFLINE if n.offline else "")
        c.printf("%?s %5s %?p %-20s <%s>\n\n", "", "", 0, "", "")

    call.emit("devinfo", _record(dump, n, 0), render)


def _devinfo(call: Call, dump: Dump, n: DevNode, o: dict[str, Any], first: bool) -> None:
    if o["s"]:
        if first:
            _summary_header(call)
        _summary(call, dump, n)
    else:
        _print_node(call, dump, n, 0, bold=True, verbose=not o["q"])


@module.dcmd("devinfo", ":", "detailed devinfo of one node",
             help="Print one device node and its property lists.", options=DEVINFO_OPTS)
def devinfo(call: Call) -> int | None:
    dump = kdump(call)
    if not call.addrspec:
        raise CmdError("devinfo doesn't give global information (try prtconf)")
    n = dump.devnode_by_addr.get(call.addr)
    if n is None:
        raise CmdError("failed to read device")
    _devinfo(call, dump, n, call.opts, call.hdrspec)
    return None


@module.dcmd("devbindings", "[device-name | major-num]",
             "print devinfo nodes bound to device-name or major-num",
             help="Print the device nodes bound to a driver, given by name or major\n"
                  "number (the address), as ::devinfo prints each.",
             options=DEVINFO_OPTS)
def devbindings(call: Call) -> int | None:
    dump = kdump(call)
    rest = call.args
    if call.addrspec:
        if rest:
            return DCMD_USAGE
        major = call.addr
    else:
        if len(rest) != 1:              # devinfo.c: the last argument names the driver
            return DCMD_USAGE
        arg = rest[0]
        if isinstance(arg, int):
            major = arg
        elif arg.startswith("-"):
            return DCMD_USAGE
        elif arg[:1].isdigit():
            major = call.session.arg_to_int(arg)
        else:
            m = dump.major_by_name.get(arg)
            if m is None:
                raise CmdError(f"failed to get major number for {arg}")
            major = m.major
    count = devcnt(dump)                # the kernel variable major_to_addr reads
    if major >= count:                  # devinfo.c major_to_addr
        raise CmdError(f"{major:x} is out of range [0x0-0x{max(count - 1, 0) & 0xFFFFFFFF:x}]")
    # the devi_next chain from devnames[major].dn_head, each node through
    # ::devinfo, which prints its text into a pipe too
    for k, n in enumerate(bound_nodes(dump, major)):
        _devinfo(call, dump, n, call.opts, k == 0)
    return None

