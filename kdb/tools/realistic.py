"""Stacks as real captures give them, for kdb-gen --realistic.

A real dump's frames carry their frame pointer and arguments (what `$C`
prints), the call sites of one stack family vary (an inlined helper here, a
different caller there), a few shapes are very common and many are rare,
and every function has a symbol whose size covers the offsets seen in it.
The compact generator writes bare ``"func+0x1f"`` strings with one shape
per family; benchmarks on it miss the cost of frame objects and of many
distinct stacks (benchmarks/RESULTS.md reports both kinds).
"""

from __future__ import annotations

import random
from typing import Any

#: frames that real kernels interpose in otherwise identical stacks
EXTRA_FRAMES = ["cv_wait_sig+0x126", "kmem_cache_alloc+0x1e8", "mutex_enter+0x10", "segkp_get+0x9a",
                "rw_enter+0x2c", "lwp_suspend+0x15a", "cpu_stats_incr+0x4", "zfs`dbuf_read+0x12e",
                "ip`tcp_input_data+0x9bd", "specfs`spec_ioctl+0x5a", "fop_ioctl+0x55"]

#: how many shapes one family comes in; the k-th has weight 1 / (k + 1)
SHAPES = 24


def shapes(frames: list[str], rng: random.Random) -> list[list[str]]:
    """A family's stack shapes: the family itself first (the common case),
    then variants with a call site moved, a frame interposed or dropped."""
    out = [list(frames)]
    for _ in range(SHAPES - 1):
        s = list(frames)
        r = rng.random()
        if r < 0.5 and len(s) > 3:
            k = rng.randrange(1, len(s) - 1)
            func, _, off = s[k].partition("+")
            if off:
                s[k] = f"{func}+0x{int(off, 16) + 4 * rng.randrange(1, 40):x}"
        elif r < 0.8:
            s.insert(rng.randrange(1, len(s)), rng.choice(EXTRA_FRAMES))
        elif len(s) > 4:
            del s[rng.randrange(2, len(s) - 1)]
        out.append(s)
    return out


def pick_shape(variants: list[list[str]], rng: random.Random) -> list[str]:
    """A zipf-like choice: the first shape most often, the last rarely."""
    return rng.choices(variants, weights=[1.0 / (k + 1) for k in range(len(variants))])[0]


def frames(stack: list[str], sp: int, rng: random.Random) -> list[Any]:
    """Frame objects with a frame pointer (increasing outward, 16-byte
    aligned, frames of varied size) and 0 to 6 arguments; a few frames stay
    compact strings, as a capture that could not read them gives them."""
    out: list[Any] = []
    fp = sp
    for f in stack:
        fp += 0x30 + 0x10 * rng.randrange(0, 12)
        if rng.random() < 0.08:
            out.append(f)
            continue
        nargs = rng.choice([0, 1, 2, 2, 3, 3, 4, 6])
        out.append({"pc": f, "fp": f"0x{fp:x}",
                    "args": [f"0x{rng.choice([rng.getrandbits(16), rng.getrandbits(48) | 0xFFFF000000000000]):x}"
                             for _ in range(nargs)]})
    return out


def symbol_modules(stacks: list[list[str]], rng: random.Random) -> list[dict[str, Any]]:
    """Module symbol tables covering every function the stacks use: each
    function's size is past the largest offset seen in it, so every pc
    resolves as ``func+off`` inside its symbol."""
    largest: dict[tuple[str, str], int] = {}
    for s in stacks:
        for f in s:
            loc = f.split("+", 1)
            mod, _, name = loc[0].rpartition("`")
            off = int(loc[1], 16) if len(loc) > 1 else 0
            key = (mod or "genunix", name)
            largest[key] = max(largest.get(key, 0), off)
    by_mod: dict[str, list[tuple[str, int]]] = {}
    for (mod, name), off in sorted(largest.items()):
        by_mod.setdefault(mod, []).append((name, off))
    mods = []
    base = 0xFFFFFFFFF8000000
    for mid, mod in enumerate(sorted(by_mod, key=lambda m: (m != "unix", m != "genunix", m))):
        syms = []
        addr = base
        for name, off in by_mod[mod]:
            size = (off + 0x20 + rng.randrange(0, 0x200)) & ~0xF
            syms.append({"name": name, "addr": f"0x{addr:x}", "size": f"0x{size:x}", "kind": "func"})
            addr += size + 0x10
        mods.append({"id": mid, "name": mod, "text": f"0x{base:x}", "text_size": f"0x{addr - base:x}",
                     "symbols": syms})
        base = (addr + 0xFFFFF) & ~0xFFFFF
    return mods
