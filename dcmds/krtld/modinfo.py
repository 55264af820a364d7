"""``::modinfo``: the loaded kernel modules (mdb's krtld dmod)."""

from __future__ import annotations

from kdb.modapi import ADDR, DCMD_USAGE, INT, STR, Call, Module, Walk

from .._kernel import kdump

module = Module("krtld", targets=("kernel",))

# records (--format json; docs/json-output.md)
module.record("module", {"id": INT, "text": ADDR, "size": INT, "rev": INT, "name": STR,
                         "desc": [STR, None]})


@module.walker("modctl", "list of modctl structures")
def walk_modctl(walk: Walk):
    # krtld.c modctl walker: round the mod_next list from `modules`, in
    # load order
    return (m.addr for m in sorted(kdump(walk).modules, key=lambda m: m.id))


@module.dcmd("modinfo", None, "list module information",
             help="List the loaded kernel modules: id, text address, size of text and\n"
                  "data, linkage revision, name and description. With an address, the\n"
                  "module whose struct modctl is there.")
def modinfo(call: Call) -> int | None:
    # krtld.c modinfo: the header once per loop; an address is a modctl
    dump = kdump(call)
    if call.args:
        return DCMD_USAGE
    if call.loopfirst or not call.loop:
        call.printf("%<u>%3s %?s %8s %3s %s%</u>\n", "ID", "LOADADDR", "SIZE", "REV", "MODULE NAME")
    mods = sorted(dump.modules, key=lambda m: m.id)
    if call.addrspec:
        mods = [m for m in mods if m.addr == call.addr]
        if not mods:
            # modinfo_format on a modctl it could not read: no name ("???"),
            # no module, no linkage
            call.printf("%3d %?p %8lx %3d %s (%s)\n", 0, 0, 0, 0, "???", "?")
            return None
    for m in mods:
        rec = {"id": m.id, "text": m.text, "size": m.text_size + m.data_size, "rev": m.rev,
               "name": m.name, "desc": m.desc}
        call.emit("module", rec, lambda c, r: c.printf("%3d %?p %8lx %3d %s (%s)\n", r["id"], r["text"],
                                                       r["size"], r["rev"], r["name"], r["desc"] or "?"))
    return None
