"""What ``kdb check`` adds to the loader: every independent error of a dump
in one run, a suggested fix for each, and warnings for what loads but is
probably wrong (docs/dump-format.md, "kdb check").

The loader stops at the first broken rule. :func:`all_errors` finds the
rest by pruning: the entity (list element) holding the error is taken out
and the dump checked again, until it loads or :data:`MAX_ERRORS` are found.
A reference to an entity pruned that way is not reported again (it is a
consequence, not another mistake); the reference is dropped instead.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

from kdb.target.dump.checks import DumpError
from kdb.target.model import Dump
from kdb.target.symbols import parse_location

MAX_ERRORS = 50

_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_REFERENCE = re.compile(r"^0x([0-9a-f]+) is not a thread of this dump$")

#: rule text -> how to fix it (the first that matches)
_FIXES: tuple[tuple[str, str], ...] = (
    ("is not a supported format version", 'start the dump with "kdb_dump": 1'),
    ("required key is missing", "add the key"),
    ("unknown key", "fix the key's spelling, or prefix a note with x_"),
    ("duplicate address", "give every entity its own address"),
    ("duplicate pid", "give every process its own pid"),
    ("is not an address", 'write addresses as "0x..." strings of 1 to 16 hex digits'),
    ("is not a number", 'write a JSON integer, or a string "0x..." (hex) or "0t..." (decimal)'),
    ("expected an integer", 'write a JSON integer, or a string "0x..." (hex) or "0t..." (decimal)'),
    ("is not a thread of this dump", "declare that thread under a process, or fix the address"),
    ("is not a CPU of this dump", "declare the CPU under cpus, or fix the id"),
    ("is not a zone of this dump", "declare the zone under zones, or use its id or name"),
    ("is not one of", "use one of the words listed"),
    ("is not a code location", 'write "func+0x1f" or "module`func+0x1f" (offsets are hex)'),
    ("out of range", 'write large values as "0x..." strings'),
)


def suggest(rule: str) -> str | None:
    """A suggested fix for a broken rule, or None."""
    for text, fix in _FIXES:
        if text in rule:
            return fix
    return None


def _tokens(path: str) -> list[str | int]:
    return [m.group(1) if m.group(1) is not None else int(m.group(2))
            for m in _TOKEN.finditer(path[1:])]


def _prune(data: Any, path: str, drop_key: bool) -> tuple[bool, list[int]]:
    """Take the entity holding PATH out of DATA (or, with DROP_KEY, only the
    key PATH names); return whether anything was removed and the addresses
    of the threads removed with it."""
    toks = _tokens(path)
    if not toks:
        return False, []
    cut = len(toks) - 1 if drop_key else max(
        (i for i, t in enumerate(toks) if isinstance(t, int)), default=len(toks) - 1)
    if cut == 0:
        return False, []               # a whole top-level section: nothing sensible to cut
    parent = data
    try:
        for t in toks[:cut]:
            parent = parent[t]
        victim = parent[toks[cut]]
    except (KeyError, IndexError, TypeError):
        return False, []
    removed = _thread_addrs(victim)
    del parent[toks[cut]]
    return True, removed


def _thread_addrs(entity: Any) -> list[int]:
    """Addresses of the threads in an entity taken out (a thread or a process)."""
    out = []
    items = entity.get("threads", [entity]) if isinstance(entity, dict) else []
    for t in items if isinstance(items, list) else []:
        a = t.get("addr") if isinstance(t, dict) else None
        if isinstance(a, str) and a.startswith("0x"):
            try:
                out.append(int(a[2:], 16))
            except ValueError:
                pass
        elif isinstance(a, int):
            out.append(a)
    return out


def all_errors(data: Any, build: Callable[[Any], Dump]) -> tuple[list[DumpError], Dump | None]:
    """Every independent error of the parsed dump DATA, and the dump that
    loads once they are pruned (None if it never does). BUILD validates
    and builds (the field-by-field path)."""
    data = copy.deepcopy(data)
    errors: list[DumpError] = []
    pruned: set[int] = set()
    tried: set[str] = set()
    while len(errors) < MAX_ERRORS:
        try:
            return errors, build(copy.deepcopy(data))
        except DumpError as e:
            m = _REFERENCE.match(e.rule)
            consequence = m is not None and int(m.group(1), 16) in pruned
            if not consequence:
                errors.append(e)
            if e.path in tried:
                return errors, None
            tried.add(e.path)
            ok, removed = _prune(data, e.path, drop_key=consequence)
            if not ok:
                return errors, None
            pruned.update(removed)
    return errors, None


# ---------------------------------------------------------------------------
# warnings: loads, but probably not what the author meant
# ---------------------------------------------------------------------------
#: the words a CPU's state may hold (illumos cpuvar.h CPU_* flags)
CPU_STATES = frozenset({"running", "ready", "quiesced", "exists", "enable", "offline", "poweroff",
                        "frozen", "spare", "faulted", "disabled"})
_NUMBERISH = re.compile(r"^(0[xX][0-9a-fA-F]+|0[tT]\d+|\d+)$")


def warnings(dump: Dump) -> list[tuple[str, str]]:
    """(JSON path, what looks wrong and how to fix it) for a dump that loads."""
    out: list[tuple[str, str]] = []
    sobj_addr = {s.addr for s in dump.sobjs}
    for i, p in enumerate(dump.procs):
        for j, t in enumerate(p.threads):
            tp = f"$.procs[{i}].threads[{j}]"
            w, s = t.wchan, t.sobj_addr
            if w is not None and s is not None and w != s:
                out.append((tp, f"wchan 0x{w:x} and sobj.addr 0x{s:x} disagree: a blocked thread's "
                                "wait channel is its sync object; give one of them"))
            elif w is not None and s is None and t.state == "sleep" and w not in sobj_addr:
                out.append((f"{tp}.wchan", f"0x{w:x} names no sync object under sobjs: declare it "
                                           "there (with its type) so the thread's sobj is known"))
            for k, f in enumerate(t.raw_stack or ()):
                warn = _past_symbol(dump, f if isinstance(f, str) else f.pc)
                if warn:
                    out.append((f"{tp}.stack[{k}]", warn))
    for i, c in enumerate(dump.cpus):
        for k, word in enumerate(c.state):
            if word not in CPU_STATES:
                out.append((f"$.cpus[{i}].state[{k}]", f"{word!r} is not a CPU state: use "
                            + ", ".join(sorted(CPU_STATES))))
    for i, m in enumerate(dump.majors):
        for k, prop in enumerate(m.props):
            v = prop.value
            if isinstance(v, str) and _NUMBERISH.match(v):
                out.append((f"$.majors[{i}].props[{k}].value",
                            f"the string {v!r} looks like a number: an integer property is a "
                            "JSON number (a string property prints in quotes)"))
    by_addr = dump.thread_by_addr
    for i, q in enumerate(dump.taskq_specs):
        for k, a in enumerate(q.threads or ()):
            name = by_addr[a].name
            if name and name.startswith("tq:") and name[3:] != q.name:
                out.append((f"$.taskqs[{i}].threads[{k}]",
                            f"thread 0x{a:x} is named {name!r} but is a thread of taskq {q.name!r}: "
                            "name it tq:" + q.name + " or list it under its own queue"))
        if q.maxq and q.maxq < len(q.queue):
            out.append((f"$.taskqs[{i}].maxq", f"{q.maxq} is fewer than the {len(q.queue)} tasks "
                                               "queued: MAXQ shows the most ever queued"))
    out += _kmem_warnings(dump)
    return out


#: variables kdb places itself: a chain root must not be one (its image would win)
_KDB_VARIABLES = frozenset(("practive", "allthreads", "panicstr", "panic_thread", "physmem", "freemem",
                            "vmem_list", "kmem_ready", "total_pages", "cpu", "ncpus", "hz", "lbolt"))


def _kmem_warnings(dump: Dump) -> list[tuple[str, str]]:
    """What loads in a kmem section but breaks the story it tells."""
    spec = dump.kmem_spec
    if spec is None:
        return []
    out: list[tuple[str, str]] = []
    from kdb.target.globals import VAR_BY_NAME
    for i, c in enumerate(spec.caches):
        for j, g in enumerate(c.allocated):
            if g.root is None:
                continue
            bare = g.root.rpartition("`")[2]
            sym = dump.symbols.lookup(g.root) or dump.symbols.lookup(bare)
            if bare in VAR_BY_NAME or bare in _KDB_VARIABLES or (sym is not None and not sym.synthetic):
                out.append((f"$.kmem.caches[{i}].allocated[{j}].root",
                            f"{g.root!r} is a variable kdb or the dump already gives a value: the chain "
                            "would hang from nothing and ::findleaks report it leaked; pick a new name"))
        if c.flags is not None and "KMF_AUDIT" not in c.flags and any(g.stack for g in c.allocated + c.freed):
            out.append((f"$.kmem.caches[{i}].flags", f"{c.name} records stacks but has no KMF_AUDIT: "
                                                     "without auditing kmem keeps no bufctl stacks"))
    pages = spec.pages
    if pages is not None and pages.kernel is not None:
        from kdb.target.kmem import kmem
        from kdb.target.vmem import PAGESIZE
        km = kmem(dump)
        heap = sum(a.inuse for a in km.arenas if a.parent is None) // PAGESIZE if km is not None else 0
        if pages.kernel < heap:
            out.append(("$.kmem.pages.kernel", f"{pages.kernel} kernel pages is less than the {heap} "
                                               "pages the kmem caches and arenas hold"))
    return out


def _past_symbol(dump: Dump, loc: Any) -> str | None:
    """A code location whose offset runs past its (declared) symbol's size."""
    if not isinstance(loc, str):
        return None
    parsed = parse_location(loc)
    if parsed is None:
        return None
    mod, name, off = parsed
    sym = dump.symbols.lookup(f"{mod}`{name}" if mod else name)
    if sym is None or sym.synthetic or off < sym.size or sym.size == 0:
        return None
    return (f"{loc}: the offset 0x{off:x} is past {name}'s size 0x{sym.size:x}, so the frame "
            "prints as a bare address and triage signatures lose it: fix the offset or the size")
