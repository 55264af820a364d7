#!/usr/bin/env python3
"""Baseline for the pipeline case: print what '::walk thread | ::findstack'
prints, straight from the parsed JSON, with the garbage collector off.

    python benchmarks/baselines/findstack.py DUMP > /dev/null

Frames are printed as the dump writes them (no symbol lookup), so this is a
lower bound for any debugger that reads the same file.
"""

import gc
import json
import sys


def addr(v):
    return int(v, 16) if isinstance(v, str) else v


def main(path):
    gc.disable()
    with open(path, "rb") as f:
        dump = json.load(f)
    out = []
    for p in dump["procs"]:
        for t in p.get("threads", ()):
            sp = addr(t.get("sp", 0))
            out.append("stack pointer for thread %x: %x\n" % (addr(t["addr"]), sp))
            if t["state"] != "onproc" and ("stack" in t or "sp" in t):
                out.append("[ %016x %s() ]\n" % (sp, t.get("resume", "_resume_from_idle+0xf1")))
            for i, f in enumerate(t.get("stack") or ()):
                if isinstance(f, str):
                    out.append("  %016x %s()\n" % (sp + 0x40 * (i + 1), f))
                else:
                    fp = addr(f["fp"]) if "fp" in f else sp + 0x40 * (i + 1)
                    out.append("  %016x %s()\n" % (fp, f["pc"]))
            if len(out) > 65536:
                sys.stdout.write("".join(out))
                out.clear()
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
