"""Cyclics: ``::cycinfo``, ``::cyclic`` and the ``cyccpu`` walker (illumos
cyclic.c), over each CPU's cyc_cpu_t (kdb.target.cyclics), read from
memory as mdb_vread does."""

from __future__ import annotations

from typing import Any

from kdb.modapi import DCMD_USAGE, Call, Module, Opt, Walk
from kdb.target.cyclics import CY_HIGH_LEVEL, CY_INFINITY, CY_LOCK_LEVEL, CY_LOW_LEVEL, cyc_cpus

from .._kernel import kdump, lower_indent, read_struct

module = Module("genunix", targets=("kernel",))

#: cyclic.c: addresses print 11 wide on LP64 ("very weak", its comment says)
CYC_ADDR_WIDTH = 11
_STATES = {0: "online", 1: "offline", 2: "expand", 3: "remove", 4: "suspend"}
_LEVELS = {CY_HIGH_LEVEL: "high", CY_LOCK_LEVEL: "lock", CY_LOW_LEVEL: "low"}
LINES_PER_LEVEL = 3


@module.walker("cyccpu", "walk per-CPU cyc_cpu structures")
def walk_cyccpu(walk: Walk):
    """cyccpu_walk_step: each cpu_t's cpu_cyclic."""
    return (read_struct(walk, "cpu_t", c.addr, "cpu_t")["cpu_cyclic"] for c in kdump(walk).cpus)


def _heap(call: Call, cpu: dict[str, Any]) -> list[int]:
    raw = call.session.target.read(cpu["cyp_heap"], 4 * cpu["cyp_size"])
    return [int.from_bytes(raw[i:i + 4], "little") for i in range(0, len(raw), 4)]


def _cyclics(call: Call, cpu: dict[str, Any]) -> list[dict[str, Any]]:
    size = call.session.target.types.lookup("cyclic_t").size
    return [read_struct(call, "cyclic_t", cpu["cyp_cyclics"] + i * size, "cyclic")
            for i in range(cpu["cyp_size"])]


def pretty_dump(nelems: int, heap: list[int]) -> list[str]:
    """cyclic_pretty_dump: the heap drawn as a tree in an 80-column grid,
    each node's snprintf (and the NUL it leaves) where cyclic_dump_node
    puts it."""
    width = 80
    depth = 0
    while (1 << depth) < nelems:
        depth += 1
    depth = (depth + 2) * LINES_PER_LEVEL
    grid = [bytearray(width) for _ in range(depth)]

    def put(row: int, col: int, n: int, text: str) -> None:
        data = text.encode()[:max(n - 1, 0)] + b"\0"
        for k, ch in enumerate(data[:n]):
            if col + k < width:
                grid[row][col + k] = ch

    def node(ndx: int, l: int, r: int, d: int) -> None:
        x = l + (r - l) // 2
        n = width - (x - 1)
        left, right = 2 * ndx + 1, 2 * ndx + 2
        if ndx >= nelems:
            return
        me = heap[ndx]
        parent_left = 2 * ((ndx - 1) // 2) + 1 == ndx
        if me < 10:
            put(d, x - 1, n, f" {me}")
        elif me >= 100:
            put(d, x - 1, n, f"{me:3d}")
        else:
            put(d, x - 1, n, (" " if parent_left else "") + f"{me:2d}" + ("" if parent_left else " "))
        if r - l > 5:
            d += 1
            grid[d][x] = ord("|")
            d += 1
            for i in range(l + (r - l) // 4, r - (r - l) // 4):
                grid[d][i] = ord("-")
            grid[d][l + (r - l) // 4] = ord("+")
            grid[d][r - (r - l) // 4 - 1] = ord("+")
            grid[d][x] = ord("+")
        else:
            if left >= nelems:
                return
            d += 1
            put(d, x - 1, n, f"L{heap[left]}")
            if right >= nelems:
                return
            d += 1
            put(d, x - 1, n, f"R{heap[right]}")
            return
        if left < nelems:
            node(left, l, x, d + 1)
        if right < nelems:
            node(right, x, r, d + 1)

    node(0, 1, width - 2, 0)
    lines = []
    for row in grid:
        dump = False
        for j in range(width - 1):
            if row[j] == 0:
                row[j] = ord(" ")
            else:
                dump = True
        row[width - 2] = ord("\n")
        if dump:
            lines.append(row[:width - 1].decode())
    return lines


@module.dcmd("cycinfo", "?", "dump cyc_cpu info",
             help="Each CPU's cyclics: the number in its heap, the heap's root and when it\n"
                  "fires. -v draws the heap and lists the cyclics; -V lists them all and\n"
                  "the soft interrupt buffers too.",
             options=[Opt("v", bool, "draw the heap and list the cyclics in it"),
                      Opt("V", bool, "also the cyclics out of the heap and the soft buffers")])
def cycinfo(call: Call) -> int | None:
    if call.args:
        return DCMD_USAGE
    if not call.addrspec:
        first = True
        for c in kdump(call).cpus:
            addr = read_struct(call, "cpu_t", c.addr, "cpu_t")["cpu_cyclic"]
            _cycinfo(call, addr, first)
            first = False
        return None
    _cycinfo(call, call.addr, call.hdrspec)
    return None


def _cycinfo(call: Call, addr: int, hdr: bool) -> None:
    v, V = call.opts["v"], call.opts["V"]
    if not hdr and (v or V):
        call.printf("\n\n")
    if hdr or v or V:
        call.printf("%3s %*s %7s %6s %*s %15s %s\n", "CPU", CYC_ADDR_WIDTH, "CYC_CPU", "STATE", "NELEMS",
                    CYC_ADDR_WIDTH, "ROOT", "FIRE", "HANDLER")
    cpu = read_struct(call, "cyc_cpu_t", addr, "cyc_cpu")
    c = read_struct(call, "cpu_t", cpu["cyp_cpu"], "cpu")
    cyc = _cyclics(call, cpu)
    heap = _heap(call, cpu)
    root = heap[0]
    nelems = cpu["cyp_nelems"]
    call.printf("%3d %0*p %7s %6d ", c["cpu_id"], CYC_ADDR_WIDTH, addr, _STATES.get(cpu["cyp_state"], "????"),
                nelems)
    if nelems > 0:
        call.printf("%0*p %15llx %a\n", CYC_ADDR_WIDTH, cpu["cyp_cyclics"], cyc[root]["cy_expire"],
                    cyc[root]["cy_handler"])
    else:
        call.printf("%*s %15s %s\n", CYC_ADDR_WIDTH, "-", "-", "-")
    if not v and not V:
        return
    call.printf("\n")
    for line in pretty_dump(nelems, heap):
        call.printf("%s", line)
    size = call.session.target.types.lookup("cyclic_t").size
    header = False
    with lower_indent(call, 2):
        for i in range(cpu["cyp_size"]):
            j = heap.index(i) if i in heap else cpu["cyp_size"]
            if not V and j >= nelems:
                continue
            if not header:
                header = True
                call.printf("\n%*s %3s %4s %4s %5s %15s %7s %s\n", CYC_ADDR_WIDTH, "ADDR", "NDX", "HEAP", "LEVL",
                            "PEND", "FIRE", "USECINT", "HANDLER")
            call.printf("%0*p %3d ", CYC_ADDR_WIDTH, cpu["cyp_cyclics"] + i * size, i)
            call.printf("%4d ", j)
            if j >= nelems:
                call.printf("%4s %5s %15s %7s %s\n", "-", "-", "-", "-", "-")
                continue
            y = cyc[i]
            call.printf("%4s %5d %15llx ", _LEVELS.get(y["cy_level"], "????"), y["cy_pend"], y["cy_expire"])
            if (y["cy_interval"] + y["cy_expire"]) & ((1 << 64) - 1) != CY_INFINITY:
                call.printf("%7lld ", y["cy_interval"] // 1000)
            else:
                call.printf("%7s ", "-")
            call.printf("%a\n", y["cy_handler"])
        if V:
            for lev in (CY_LOW_LEVEL, CY_LOCK_LEVEL):
                buf = addr + 0xC00 + 0x40 * lev
                call.printf("\n%3s %4s %4s %4s %*s %4s %*s\n", "CPU", "LEVL", "USER", "NDX", CYC_ADDR_WIDTH,
                            "ADDR", "CYC", CYC_ADDR_WIDTH, "CYC_ADDR")
                # nothing pending: the shared buffer's producer and consumer
                # both at 0 (cyclic.c prints the one row and stops)
                call.printf("%3d %4s %4s ", c["cpu_id"], _LEVELS[lev], "shrd")
                call.printf("%4d %0*p ", 0, CYC_ADDR_WIDTH, buf)
                call.printf("%4s %*s %5s  ", "-", CYC_ADDR_WIDTH, "-", "-")
                call.printf("<-- consndx,prodndx\n")


@module.dcmd("cyclic", ":", "developer information",
             help="Display the cyclic at the address: its level, pending count, flags,\n"
                  "when it fires, its interval and handler.")
def cyclic(call: Call) -> int | None:
    if not call.addrspec or call.args:
        return DCMD_USAGE
    if call.hdrspec:
        call.printf("%?s %4s %5s %5s %15s %7s %s\n", "ADDR", "LEVL", "PEND", "FLAGS", "FIRE", "USECINT", "HANDLER")
    y = read_struct(call, "cyclic_t", call.addr, "cyclic")
    interval = y["cy_interval"]
    call.printf("%0?p %4s %5d  %04x %15llx %7lld %a\n", call.addr, _LEVELS.get(y["cy_level"], "????"),
                y["cy_pend"], y["cy_flags"], y["cy_expire"], interval // 1000, y["cy_handler"])
    return None
