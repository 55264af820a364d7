"""A table of processes by state: each process's threads counted by
state, and each state's processes (docs/api.md)."""
from collections import Counter

import kdb

d = kdb.open("nfshang")
states = ["onproc", "run", "sleep", "stop", "zomb"]
print(f"{'PID':>6} {'COMM':12} " + " ".join(f"{s:>6}" for s in states))
for p in sorted(d.procs, key=lambda p: p.pid):
    n = Counter(t.state for t in p.threads)
    print(f"{p.pid:6} {p.comm:12} " + " ".join(f"{n[s]:6}" for s in states))
print(dict(Counter(p.state for p in d.procs)))
