"""``::modinfo``: the loaded kernel modules (mdb's krtld dmod)."""

from __future__ import annotations

from kdb.modapi import ADDR, DCMD_USAGE, INT, STR, Call, Module

from .._kernel import kdump

module = Module("krtld", targets=("kernel",))

# records (--format json; docs/json-output.md)
module.record("module", {"id": INT, "text": ADDR, "size": INT, "rev": INT, "name": STR,
                         "desc": [STR, None]})


@module.dcmd("modinfo", None, "list modules",
             help="List the loaded kernel modules: id, text address, size of text and\n"
                  "data, linkage revision, name and description.")
def modinfo(call: Call) -> int | None:
    dump = kdump(call)
    if call.args or call.addrspec:
        return DCMD_USAGE
    call.printf("%<u>%3s %?s %8s %3s %s%</u>\n", "ID", "LOADADDR", "SIZE", "REV", "MODULE NAME")
    for m in sorted(dump.modules, key=lambda m: m.id):
        rec = {"id": m.id, "text": m.text, "size": m.text_size + m.data_size, "rev": m.rev,
               "name": m.name, "desc": m.desc}
        call.emit("module", rec, lambda c, r: c.printf("%3d %?p %8lx %3d %s (%s)\n", r["id"], r["text"],
                                                       r["size"], r["rev"], r["name"], r["desc"] or "?"))
    return None
