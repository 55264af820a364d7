"""The device tree in memory: a ``struct dev_info`` at every node's address
(parent, child, sibling and devi_next links, names, major, state), each
node's system, driver and hardware property lists, and the
``ddi_prop_list_t`` through which a node holds its driver's global list.

What the dcmds print comes from the same model (dcmds/genunix/devinfo.py),
so ``*ddi_root_node::print struct dev_info devi_node_name`` and ``::prtconf``
agree.
"""

from __future__ import annotations

from typing import Any

from kdb.target.ctype import TypeSystem
from kdb.target.images import Strings, _prop_image, encode
from kdb.target.memory import AddressSpace
from kdb.target.model import DevNode

DDI_MAJOR_T_NONE = 0xFFFFFFFF          # (major_t)-1
DEVI_DEVICE_OFFLINE = 0x1              # devi_state


def prop_list_head(prop_base: int) -> int:
    """Where a driver's ``ddi_prop_list_t`` sits: just below its first entry."""
    return prop_base - 0x20


def devi_next_chains(dump: Any) -> dict[int, list[DevNode]]:
    """Each driver's devi_next chain (devnames[major].dn_head onward): its
    nodes in tree order. ``::devbindings`` walks it; the images link it."""
    chains: dict[int, list[DevNode]] = {}
    for n in dump.device_nodes():
        if n.major is not None:
            chains.setdefault(n.major, []).append(n)
    return chains


def add_devinfo_images(sp: AddressSpace, ts: TypeSystem, dump: Any, strings: Strings) -> None:
    prop_t, di_t, pl_t = ts.lookup("ddi_prop_t"), ts.lookup("struct dev_info"), ts.lookup("ddi_prop_list_t")
    size = prop_t.size
    nodes = dump.device_nodes()
    nxt = {a.addr: b.addr for chain in devi_next_chains(dump).values() for a, b in zip(chain, chain[1:])}
    for m in dump.majors:
        if m.prop_count:
            sp.add_bytes(prop_list_head(m.prop_base), encode(pl_t, {"prop_list": m.prop_base, "prop_ref": 1}))
    sibling: dict[int, int] = {}
    for kids in [dump.devinfo] + [n.children for n in nodes]:
        for a, b in zip(kids, kids[1:]):
            sibling[a.addr] = b.addr
    for n in nodes:
        held = dump.global_props_of(n)
        sp.add_bytes(n.addr, encode(di_t, {
            "devi_parent": n.parent.addr if n.parent is not None else 0,
            "devi_child": n.children[0].addr if n.children else 0,
            "devi_sibling": sibling.get(n.addr, 0),
            "devi_binding_name": strings.addr(n.name), "devi_node_name": strings.addr(n.name),
            "devi_addr": strings.addr(n.unit_address) if n.unit_address else 0,
            "devi_nodeid": -1, "devi_instance": n.instance,
            "devi_sys_prop_ptr": n.prop_lists[0], "devi_drv_prop_ptr": n.prop_lists[1],
            "devi_hw_prop_ptr": n.prop_lists[2],
            "devi_global_prop_list": prop_list_head(held.prop_base) if held is not None else 0,
            "devi_next": nxt.get(n.addr, 0),
            "devi_major": n.major if n.major is not None else DDI_MAJOR_T_NONE,
            "devi_node_state": n.node_state, "devi_state": DEVI_DEVICE_OFFLINE if n.offline else 0,
            "devi_ref": n.refcnt}))
        for base, which in zip(n.prop_lists, ("system", "driver", "hardware")):
            if not base:
                continue
            items = list(n.prop_list(which).items())
            out = bytearray()
            for j, (name, value) in enumerate(items):
                out += _prop_image(prop_t, strings, name, value,
                                   base + (j + 1) * size if j + 1 < len(items) else 0)
            sp.add_bytes(base, bytes(out))
