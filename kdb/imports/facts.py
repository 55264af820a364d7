"""What a capture says, entity by entity, with the line that said it: a
second command that says something else about the same entity is a
contradiction, refused with both lines named."""

from __future__ import annotations

from typing import Any

import attrs


class Contradiction(Exception):
    """Two lines of the capture disagree about one entity."""

    def __init__(self, what: str, first: tuple[int, Any], second: tuple[int, Any]) -> None:
        super().__init__(f"{what}: line {first[0]} says {first[1]!r}, line {second[0]} says {second[1]!r}")
        self.what = what


@attrs.define(slots=True)
class Entity:
    """One thing the capture shows (the system, a process, a thread): its
    fields and the line each came from."""

    name: str
    fields: dict[str, Any] = attrs.Factory(dict)
    lines: dict[str, int] = attrs.Factory(dict)

    def put(self, key: str, value: Any, line: int) -> None:
        if key in self.fields and self.fields[key] != value:
            raise Contradiction(f"{self.name} {key}", (self.lines[key], self.fields[key]), (line, value))
        if key not in self.fields:
            self.fields[key] = value
            self.lines[key] = line

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


@attrs.define(slots=True)
class Facts:
    system: Entity = attrs.Factory(lambda: Entity("the system"))
    panic: Entity = attrs.Factory(lambda: Entity("the panic"))
    procs: dict[int, Entity] = attrs.Factory(dict)          # by pid
    threads: dict[int, Entity] = attrs.Factory(dict)        # by address
    cpus: dict[int, Entity] = attrs.Factory(dict)           # by id
    zones: dict[int, Entity] = attrs.Factory(dict)          # by id
    wchans: dict[int, Entity] = attrs.Factory(dict)         # sync objects by address
    symbols: dict[str, Entity] = attrs.Factory(dict)        # where a sym+off said a symbol is
    modules: dict[int, Entity] = attrs.Factory(dict)        # by id
    devices: dict[int, Entity] = attrs.Factory(dict)        # device nodes by address, in the order seen
    device_listings: list[list[int]] = attrs.Factory(list)  # each ::prtconf listing's nodes, in order
    messages: list[str] | None = None
    messages_line: int = 0
    notes: list[str] = attrs.Factory(list)                  # what was inferred, for the report
    stack_groups: list[dict[str, Any]] = attrs.Factory(list)   # ::stacks's groups
    current: list[tuple[int | None, list[dict[str, Any]], int]] = attrs.Factory(list)   # $C: (thread, frames, line)
    era: Entity = attrs.Factory(lambda: Entity("the era (from the layouts)"))
    threadlist: bool = False
    walk: dict[int, None] = attrs.Factory(dict)             # threads in thread-walk order (findstack, threadlist)
    orders: list[list[int]] = attrs.Factory(list)           # partial thread-walk orders a listing implies                                # a ::threadlist was read: it omits free threads

    def proc(self, pid: int) -> Entity:
        return self.procs.setdefault(pid, Entity(f"process {pid}"))

    def thread(self, addr: int) -> Entity:
        return self.threads.setdefault(addr, Entity(f"thread {addr:x}"))

    def symbol(self, name: str) -> Entity:
        return self.symbols.setdefault(name, Entity(f"symbol {name}"))

    def wchan(self, addr: int) -> Entity:
        return self.wchans.setdefault(addr, Entity(f"sync object {addr:x}"))

    def zone(self, zid: int) -> Entity:
        return self.zones.setdefault(zid, Entity(f"zone {zid}"))

    def cpu(self, cid: int) -> Entity:
        return self.cpus.setdefault(cid, Entity(f"CPU {cid}"))

    def device(self, addr: int) -> Entity:
        return self.devices.setdefault(addr, Entity(f"device node {addr:x}"))

    def module(self, mid: int) -> Entity:
        return self.modules.setdefault(mid, Entity(f"module {mid}"))


def set_frames(t: Entity, frames: list[dict], verbose: bool, line: int) -> None:
    """A thread's frames, from one more listing: the pcs must agree with what
    was seen; frame pointers (None when not printed) and -v's arguments are
    kept from whichever listing had them."""
    old = t.fields.get("frames")
    if old is None:
        t.fields["frames"], t.lines["frames"] = frames, line
        t.fields["frames_verbose"] = verbose
        return
    if [x["pc"] for x in old] != [x["pc"] for x in frames]:
        t.put("frames", [x["pc"] for x in frames], line)      # refused, naming both lines
    for o, x in zip(old, frames):
        if o["fp"] is None:
            o["fp"] = x["fp"]
        elif x["fp"] is not None and o["fp"] != x["fp"]:
            t.put("frames", [x["pc"] for x in frames], line)
        if verbose and not t.fields.get("frames_verbose"):
            o["args"] = x["args"]
    t.fields["frames_verbose"] = t.fields.get("frames_verbose") or verbose
