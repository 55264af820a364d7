"""``::status``: what the target is (mdb's kvm target, kvm_status in mdb_kvm.c)."""

from __future__ import annotations

from typing import Any

from kdb.modapi import BOOL, DCMD_USAGE, STR, Call, Module

from .._kernel import kdump

module = Module("kdb", targets=("kernel",), builtin=True)

# records (--format json; docs/json-output.md)
module.record("status", {"dump": STR, "file": STR, "bits": STR, "nodename": STR, "release": STR,
                         "version": STR, "machine": STR, "image_uuid": [STR, None],
                         "panic": [STR, None], "content": STR, "domain": BOOL})


@module.dcmd("status", None, "print summary of current target",
             help="Describe the dump: what it is, the operating system, the panic\n"
                  "message and what the dump contains.")
def status(call: Call) -> int | None:
    dump = kdump(call)
    if call.args or call.addrspec:
        return DCMD_USAGE
    s = dump.system
    bits = "32-bit" if s.isa == "i386" else "64-bit"
    rec = {"dump": s.dump, "file": s.dump_file, "bits": bits, "nodename": s.nodename,
           "release": s.release, "version": s.version, "machine": s.machine,
           "image_uuid": s.image_uuid, "panic": dump.panic.message if dump.panic else None,
           "content": s.content, "domain": s.domain}

    def render(c: Call, r: dict[str, Any]) -> None:
        # mdb_kvm.c kt_status_dcmd: a Xen domain image ("domain ") has no
        # dump header, so no panic message or content lines, and its uuid
        # only as the kernel's dump_osimage_uuid holds it
        if r["dump"] == "crash":
            c.printf("debugging %scrash dump %s (%s) from %s\n", "domain " if r["domain"] else "",
                     r["file"], r["bits"], r["nodename"])
        else:
            c.printf("debugging live kernel (%s) on %s\n", r["bits"], r["nodename"])
        c.printf("operating system: %s %s (%s)\n", r["release"], r["version"], r["machine"])
        if r["dump"] == "crash" and not r["domain"]:
            c.printf("image uuid: %s\n", r["image_uuid"] or "(not set)")
            if r["panic"] is not None:
                c.printf("panic message: %s\n", r["panic"])
            c.printf("dump content: %s\n", r["content"])
        elif r["image_uuid"]:
            c.printf("image uuid: %s\n", r["image_uuid"])

    call.emit("status", rec, render)
    return None
