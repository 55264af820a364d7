"""The process tree as illumos links it: each pid's children newest first
(fork puts a child at the head of its parent's p_child list) and the order
of mdb's ``proc`` walk (genunix.c proc_walk_step), derived once for
:meth:`kdb.target.model.Dump.proc_children` and ``proc_walk_order``."""

from __future__ import annotations

from typing import Any


def proc_tree(procs: list[Any], root: Any) -> tuple[dict[int, list[Any]], list[Any]]:
    """(children by pid, newest first; the walk order). Newest is the later
    ``start`` (processes without one count as older), then the higher pid,
    then the later in the dump. The walk goes depth first from ROOT (pid 0)
    down p_child, then p_sibling; processes it does not reach (a ppid the
    dump does not have, a cycle of ppids) follow in the dump's order."""
    index = {id(p): i for i, p in enumerate(procs)}
    children: dict[int, list[Any]] = {}
    for p in procs:
        if p.pid != p.ppid:
            children.setdefault(p.ppid, []).append(p)
    for kids in children.values():
        kids.sort(key=lambda c: (c.start is not None, c.start or "", c.pid, index[id(c)]), reverse=True)
    order: list[Any] = []
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        p = stack.pop()
        if id(p) in seen:
            continue
        seen.add(id(p))
        order.append(p)
        stack.extend(reversed(children.get(p.pid, [])))
    order.extend(p for p in procs if id(p) not in seen)
    return children, order
