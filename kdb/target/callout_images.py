"""Callouts in memory: the ``callout_table`` array (one ``callout_table_t``
per CPU sequence id and type), each table's id hash and list hash
(``callout_hash_t[CALLOUT_BUCKETS]``), its heap, its callout lists and
callouts, linked as callout.c links them. Values come from
kdb.target.callouts, as the dcmds' (dcmds/genunix/callout.py)."""

from __future__ import annotations

import functools
from typing import Any

from kdb.target.callouts import CALLOUT_BUCKETS, CALLOUT_NTYPES, CALLOUT_NORMAL, HASH_SIZE, \
    LIST_HEAPED, Table, callouts
from kdb.target.ctype import TypeSystem
from kdb.target.images import Strings, encode, lazily
from kdb.target.memory import AddressSpace
from kdb.target.taskqs import taskqs


def _chain(items: list[Any]) -> dict[int, tuple[int, int]]:
    """Each item's (next, prev) along ITEMS."""
    return {x.addr: (items[i + 1].addr if i + 1 < len(items) else 0, items[i - 1].addr if i else 0)
            for i, x in enumerate(items)}


def add_callout_images(sp: AddressSpace, ts: TypeSystem, dump: Any, strings: Strings) -> None:
    co = callouts(dump)
    table_t, hash_t = ts.lookup("callout_table_t"), ts.lookup("callout_hash_t")
    list_t, callout_t, heap_t = ts.lookup("callout_list_t"), ts.lookup("callout_t"), ts.lookup("callout_heap_t")
    cq = next((q for q in taskqs(dump).all if q.name == "callout_taskq"), None)
    size = table_t.size
    cache: dict[int, bytes] = {}

    def table_image(t: Table) -> bytes:
        heaped = [cl for cl in t.lists if cl.flags & LIST_HEAPED]
        due = [cl for cl in t.lists if not cl.flags & LIST_HEAPED]
        longs = [c.xid for c in t.callouts if c.longterm]
        shorts = [c.xid for c in t.callouts if not c.longterm]
        return encode(table_t, {
            "ct_short_id": shorts[-1] if shorts else 0, "ct_long_id": longs[-1] if longs else 0,
            "ct_idhash": t.idhash, "ct_clhash": t.clhash, "ct_type": t.type,
            "ct_cyclic": t.cyclic, "ct_heap": t.heap, "ct_heap_num": len(heaped),
            "ct_heap_max": max(64, len(t.lists)) if t.heap else 0,
            "ct_expired": {"ch_head": due[0].addr if due else 0, "ch_tail": due[-1].addr if due else 0},
            "ct_taskq": cq.addr if cq is not None and t.live and t.type == CALLOUT_NORMAL else 0})

    def tables(off: int, n: int) -> bytes:
        out = bytearray()
        while n > 0:
            i, inner = divmod(off, size)
            img = cache.get(i)
            if img is None:
                img = cache[i] = table_image(co.tables[i])
            piece = img[inner:inner + n]
            out += piece
            off, n = off + len(piece), n - len(piece)
        return bytes(out)

    sp.add(co.base, size * len(co.tables), tables)
    for t in co.tables:
        if t.heap:
            heaped = sorted((cl for cl in t.lists if cl.flags & LIST_HEAPED), key=lambda cl: cl.exp)
            sp.add_bytes(t.heap, b"".join(encode(heap_t, {"ch_expiration": cl.exp, "ch_list": cl.addr})
                                          for cl in heaped).ljust(heap_t.size * max(64, len(t.lists)), b"\0"))
        if not t.callouts:
            continue
        by_id = t.id_buckets(co.ctbits)
        sp.add(t.idhash, HASH_SIZE * CALLOUT_BUCKETS,
               lazily(functools.partial(_hash_array, hash_t, {b: (cs[0].addr, cs[-1].addr)
                                                              for b, cs in by_id.items()})))
        buckets = t.list_buckets()
        sp.add(t.clhash, HASH_SIZE * CALLOUT_BUCKETS,
               lazily(functools.partial(_hash_array, hash_t, {b: (ls[0].addr, ls[-1].addr)
                                                              for b, ls in buckets.items()})))
        due = [cl for cl in t.lists if cl.bucket < 0]
        links: dict[int, tuple[int, int]] = {}
        for chain in [due, *buckets.values()]:
            links.update(_chain(chain))
        idlinks: dict[int, tuple[int, int]] = {}
        for ids in by_id.values():
            idlinks.update(_chain(ids))
        for cl in t.lists:
            nxt, prv = links[cl.addr]
            sp.add_bytes(cl.addr, encode(list_t, {
                "cl_next": nxt, "cl_prev": prv, "cl_expiration": cl.exp, "cl_flags": cl.flags,
                "cl_callouts": {"ch_head": cl.callouts[0].addr, "ch_tail": cl.callouts[-1].addr}}))
            bylist = _chain(cl.callouts)
            for c in cl.callouts:
                sp.add_bytes(c.addr, encode(callout_t, {
                    "c_idnext": idlinks[c.addr][0], "c_idprev": idlinks[c.addr][1],
                    "c_clnext": bylist[c.addr][0], "c_clprev": bylist[c.addr][1], "c_xid": c.xid,
                    "c_list": cl.addr, "c_func": c.func, "c_arg": c.arg}))
    assert len(co.tables) % CALLOUT_NTYPES == 0


def _hash_array(hash_t: Any, heads: dict[int, tuple[int, int]]) -> bytes:
    """A callout_hash_t[CALLOUT_BUCKETS] array: each bucket's head and tail."""
    empty = encode(hash_t, {})
    return b"".join(encode(hash_t, {"ch_head": heads[b][0], "ch_tail": heads[b][1]})
                    if b in heads else empty for b in range(CALLOUT_BUCKETS))
