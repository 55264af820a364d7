"""A seeded generator of valid dumps, for tests and benchmarks.

    kdb-gen --procs 1000 --threads 100000 --seed 7 -o big.json
    python -m kdb.tools.gen --threads 10000 --panic -o small.json

The same arguments always give the same file. Threads get stacks drawn from
families seen on real illumos systems (taskq workers, door servers, pollers,
NFS service threads, lock waiters...) with varied depths and offsets, written
as compact frames (``"func+0x1f"``); a share of them carry explicit frame
pointers and arguments. Mutexes and readers/writer locks have owners and
waiters, so wait-for analysis has something to find. Every dump also has
drivers, a device tree with properties and the kernel variables only an
author knows (``devices``); ``--realistic`` writes stacks as real captures
give them (kdb.tools.realistic).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Any, TextIO

from kdb.tools import realistic as realistic_mod

SYSCALL = "sys_syscall32+0x1fc"
TASKQ_BASE = 0xFFFFFF0A30000000
TASKQ_NAMES = ["system_taskq", "kmem_taskq", "callout_taskq", "console_taskq", "zil_clean",
               "zio_read_intr", "zio_write_issue", "zio_write_intr", "zio_free_issue", "spa_zio",
               "dbu_evict", "ip_squeue_taskq", "nfs4_async_taskq", "mpt_sas_nexus_tq", "sd_drv_taskq"]
FAMILIES: list[tuple[str, list[str], str | None, str, int]] = [
    # (name, frames innermost first, sobj type, state, weight)
    ("taskq", ["swtch+0x221", "cv_wait+0x61", "taskq_thread_wait+0x84", "taskq_thread+0x2d1",
               "thread_start+8"], "cv", "sleep", 30),
    ("door", ["swtch+0x221", "cv_wait_sig_swap_core+0x174", "cv_wait_sig_swap+0x18",
              "door_return+0x216", "doorfs32+0xbd", SYSCALL], "cv", "sleep", 20),
    ("park", ["swtch+0x221", "cv_wait_sig_swap_core+0x174", "cv_wait_sig_swap+0x18", "lwp_park+0xe6",
              "syslwp_park+0x3f", SYSCALL], "cv", "sleep", 20),
    ("poll", ["swtch+0x221", "cv_timedwait_sig+0xc9", "cv_waituntil_sig+0x114", "poll_common+0x44a",
              "pollsys+0xe4", SYSCALL], "cv", "sleep", 12),
    ("nfsd", ["swtch+0x221", "cv_wait_sig+0x126", "rpcmod`svc_wait+0x3c", "rpcmod`svc_do_run+0x7b",
              "nfssrv`nfssys+0x5ba", SYSCALL], "cv", "sleep", 6),
    ("zio", ["swtch+0x221", "cv_wait+0x61", "zfs`zio_wait+0x5d", "zfs`dmu_buf_hold_array+0x1c9",
             "zfs`dmu_read_uio+0x4d", "zfs`zfs_read+0x19e", "fop_read+0x6b", "read+0x2b8", SYSCALL],
     "cv", "sleep", 4),
    ("mutex", ["swtch+0x221", "turnstile_block+0x76b", "mutex_vector_enter+0x261",
               "zfs`zfs_zget+0x4e", "zfs`zfs_lookup+0x11f", "fop_lookup+0xa2", "lookuppnvp+0x281",
               "lookuppnat+0x111", "lookupnameat+0x82", "vn_openat+0x1e7", "copen+0x435",
               "openat32+0x1a", SYSCALL], "mutex", "sleep", 3),
    ("rwlock", ["swtch+0x221", "turnstile_block+0x76b", "rw_enter_sleep+0x1a3",
                "as_fault+0x19c", "pagefault+0x99", "trap+0xe63", "cmntrap+0xe6"], "rwlock", "sleep", 2),
    ("run", ["disp_getwork+0x14d", "swtch+0x1b4", "preempt+0xd5", "trap+0x13fa", "_sys_rtt+0x2b"],
     None, "run", 2),
    ("idle", ["idle+0x114", "thread_start+8"], None, "free", 1),
]


def generate(procs: int, threads: int, seed: int, *, panic: bool = False,
             nodename: str | None = None, ncpu: int = 16, realistic: bool = False) -> dict[str, Any]:
    """A dump; REALISTIC writes stacks as real captures give them
    (kdb.tools.realistic): frame objects with fp and arguments, many shapes
    per family with a zipf-like spread, and symbol tables covering them."""
    rng = random.Random(seed)
    shape_rng = random.Random(seed + 1)
    variants = {f[0]: realistic_mod.shapes(f[1], shape_rng) for f in FAMILIES} if realistic else {}
    used: set[tuple[str, ...]] = set()
    weights = [f[4] for f in FAMILIES]
    proc_list: list[dict[str, Any]] = []
    sobjs: list[dict[str, Any]] = []
    mutexes = [0xFFFFFF0A00000000 + 0x40 * i for i in range(max(4, threads // 2000))]
    rwlocks = [0xFFFFFF0A10000000 + 0x40 * i for i in range(max(2, threads // 5000))]
    cvs = [0xFFFFFF0A20000000 + 0x10 * i for i in range(max(16, threads // 50))]
    owners: dict[int, int] = {}
    tq_threads: list[str] = []
    all_threads: list[dict[str, Any]] = []
    taddr = 0xFFFFFF0100000000
    paddr = 0xFFFFFF0900000000
    per_proc = [0] * procs
    for i in range(threads):
        per_proc[0 if i < threads // 10 else rng.randrange(procs)] += 1
    for pid_index in range(procs):
        pid = 0 if pid_index == 0 else (pid_index * 7 + rng.randrange(7)) + 100
        paddr += 0x1A48
        tl = []
        for t in range(per_proc[pid_index]):
            taddr += 0x6A0 + 0x20 * rng.randrange(4)
            fam = FAMILIES[rng.choices(range(len(FAMILIES)), weights)[0]]
            name, frames, sobj, state, _ = fam
            if pid == 0 and name in ("door", "park", "poll", "nfsd"):
                fam = FAMILIES[0]
                name, frames, sobj, state, _ = fam
            stack: list[Any] = list(frames)
            if realistic:
                stack = realistic_mod.pick_shape(variants[name], rng)
                used.add(tuple(stack))
            # vary depth and offsets a little, as real stacks do
            elif rng.random() < 0.15 and len(stack) > 3:
                k = rng.randrange(2, len(stack) - 1)
                func, _, off = stack[k].partition("+")
                stack[k] = f"{func}+0x{int(off, 16) + 4 * rng.randrange(1, 12):x}" if off else stack[k]
            sp = 0xFFFFFF0040000000 + (len(all_threads) << 14) + 0xC80
            thr: dict[str, Any] = {"addr": f"0x{taddr:x}", "state": state, "sp": f"0x{sp:x}",
                                   "pri": rng.choice([59, 60, 60, 99, 1]) if pid else 60,
                                   "cpu": rng.randrange(ncpu), "tid": 0 if pid == 0 else t + 1}
            if pid:
                thr["lwp"] = f"0x{taddr + 0x30000000:x}"
            if sobj == "cv":
                cv = rng.choice(cvs)
                if pid == 0 and name == "taskq":
                    # a worker of queue k (8 threads a queue) waits on that
                    # queue's tq_dispatch_cv (the taskqs section below)
                    k = len(tq_threads) // 8
                    tq_threads.append(f"0x{taddr:x}")
                    cv = TASKQ_BASE + 0x100 * k + 0x30
                thr["wchan"] = f"0x{cv:x}"
                thr["sobj"] = {"type": "cv", "addr": f"0x{cv:x}"}
            elif sobj == "mutex":
                m = rng.choice(mutexes)
                thr["sobj"] = {"type": "mutex", "addr": f"0x{m:x}"}
            elif sobj == "rwlock":
                r = rng.choice(rwlocks)
                thr["sobj"] = {"type": "rwlock", "addr": f"0x{r:x}"}
            if realistic:
                thr["stack"] = realistic_mod.frames(stack, sp, rng)
            elif rng.random() < 0.05:
                # some threads carry explicit frame pointers and arguments
                thr["stack"] = [{"pc": f, "fp": f"0x{sp + 0x40 * (k + 1):x}",
                                 "args": [f"0x{rng.getrandbits(48) | 0xFFFF000000000000:x}"]}
                                for k, f in enumerate(stack)]
            else:
                thr["stack"] = stack
            if name == "idle":
                thr["state"] = "free"
            tl.append(thr)
            all_threads.append(thr)
        comm = "sched" if pid == 0 else rng.choice(["nscd", "svc.configd", "java", "postgres", "nginx",
                                                    "sshd", "httpd", "mysqld", "nfsd", "bash"])
        proc_list.append({"addr": f"0x{paddr:x}", "pid": pid, "ppid": 0 if pid == 0 else 1,
                          "comm": comm, "psargs": comm if pid == 0 else f"/usr/bin/{comm} -w{pid_index % 9}",
                          "uid": 0 if pid < 200 else 100 + pid_index % 50, "flags": 0x4A004000,
                          "threads": tl})
    # lock owners: threads on CPU or sleeping elsewhere hold the contended locks
    runners = [t for t in all_threads if t["state"] in ("run", "sleep") and "sobj" not in t]
    for m in mutexes:
        owner = rng.choice(runners)["addr"] if runners and rng.random() < 0.8 else None
        sobjs.append({"addr": f"0x{m:x}", "type": "mutex", "kind": "adaptive", "owner": owner})
        if owner:
            owners[m] = int(owner, 16)
    for r in rwlocks:
        writer = rng.choice(runners)["addr"] if runners and rng.random() < 0.5 else None
        sobjs.append({"addr": f"0x{r:x}", "type": "rwlock", "writer": writer,
                      "readers": 0 if writer else rng.randrange(1, 5), "write_wanted": bool(writer)})
    cpus = []
    for cpu_id in range(ncpu):
        cpus.append({"id": cpu_id, "addr": f"0x{0xFFFFFF0800000000 + 0x1000 * cpu_id:x}", "flags": 0x1B,
                     "pri": -1, "nrun": 0})
    onproc = [t for t in all_threads if t["state"] == "run"][:ncpu]
    for cpu, th in zip(cpus, onproc):
        th["state"] = "onproc"
        th["cpu"] = cpu["id"]
        cpu["thread"] = th["addr"]
        cpu["pri"] = th["pri"]
    dump: dict[str, Any] = {
        "kdb_dump": 1,
        "x_generator": f"kdb.tools.gen --procs {procs} --threads {threads} --seed {seed}" + (" --panic" if panic else ""),
        "system": {"nodename": nodename or f"gen{seed}", "version": "joyent_20260101T000000Z",
                   "release": "5.11", "time": "2026-01-01T12:00:00Z", "boot_time": "2026-01-01T00:00:00Z"},
        "cpus": cpus, "procs": proc_list, "sobjs": sobjs,
        "msgbuf": [{"time": "2026-01-01T00:00:00Z", "text": "SunOS Release 5.11 Version joyent_20260101T000000Z 64-bit\n"},
                   {"time": "2026-01-01T00:00:01Z", "text": "Copyright (c) 2010-2026, Joyent Inc. All rights reserved.\n"}],
    }
    dump.update(devices(threads, ncpu))
    dump["taskqs"] = taskq_section(tq_threads, random.Random(seed + 2))
    dump["callouts"] = callout_section(ncpu, random.Random(seed + 3))
    used.add(tuple(sorted({c["func"] for c in dump["callouts"]})))
    if panic and all_threads:
        victim = next((t for t in all_threads if t["state"] == "onproc"), all_threads[-1])
        victim["state"] = "onproc"
        victim["stack"] = ["vpanic+0x13c", "panicsys+0x102",
                           "die+0x10e", "trap+0xc9f", "cmntrap+0xe6", "mydrv`mydrv_ioctl+0x3a",
                           "fop_ioctl+0x55", "ioctl+0x9b", SYSCALL]
        dump["panic"] = {"message": "BAD TRAP: type=e (#pf Page fault) rp=ffffff003e2c98b0 addr=0 "
                                    "occurred in module \"mydrv\" due to a NULL pointer dereference",
                         "cpu": victim.get("cpu", 0), "thread": victim["addr"],
                         "time": "2026-01-01T12:00:00Z",
                         "registers": {"rdi": "0x0", "rsi": "0x4", "rdx": "0xffffff003e2c9a40",
                                       "rcx": "0x0", "r8": "0x0", "r9": "0x0", "rax": "0x0",
                                       "rbx": "0xffffff0a31c2d000", "rbp": "0xffffff003e2c99c0",
                                       "rip": "0xfffffffff7e8003a", "cs": "0x30", "rflags": "0x10246",
                                       "rsp": "0xffffff003e2c99a0", "ss": "0x38"}}
        for c in cpus:
            if c["id"] == dump["panic"]["cpu"]:
                c["thread"] = victim["addr"]
        dump["system"]["dump"] = "crash"
        used.add(tuple(f if isinstance(f, str) else f["pc"] for f in victim["stack"]))
    if realistic:
        dump["modules"] = realistic_mod.symbol_modules([list(u) for u in sorted(used)], shape_rng)
        dump["x_generator"] += " --realistic"
    return dump


def taskq_section(workers: list[str], rng: random.Random) -> list[dict[str, Any]]:
    """The task queues of the taskq workers, 8 to a queue: the system's own
    without an instance, the rest numbered per name (docs/dump-format.md,
    "taskqs")."""
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for k in range(0, len(workers), 8):
        q = k // 8
        name = TASKQ_NAMES[q % len(TASKQ_NAMES)]
        inst = seen.get(name, -1) + 1
        seen[name] = inst
        entry: dict[str, Any] = {"addr": f"0x{TASKQ_BASE + 0x100 * q:x}", "name": name,
                                 "threads": workers[k:k + 8], "executed": rng.randrange(1, 1 << 20)}
        if q >= 5 or inst:
            entry["instance"] = inst
        # every worker waits for work, so nothing is queued now: only the
        # high-water mark tells of past bursts
        entry["maxq"] = rng.randrange(0, 40)
        out.append(entry)
    return out


def callout_section(ncpu: int, rng: random.Random) -> list[dict[str, Any]]:
    """The timeouts a running system has pending: the clock's own on CPU 0,
    then a few driver and protocol timers on each CPU (docs/dump-format.md,
    "callouts")."""
    out: list[dict[str, Any]] = [{"func": "ts_update", "cpu": 0, "realtime": True, "expires": rng.randrange(1, 100)},
                                 {"func": "kmem_update", "cpu": 0, "expires": rng.randrange(1, 1500)},
                                 {"func": "seg_pupdate", "cpu": 0, "expires": rng.randrange(1, 100)}]
    for cpu in range(ncpu):
        for _ in range(rng.randrange(0, 4)):
            func, arg = rng.choice([("ip`tcp_timer_callback", 0xFFFFFF0C00000000), ("cv_wakeup", 0xFFFFFF0100000000),
                                    ("zfs`spa_deadman", 0xFFFFFF0C10000000), ("polltime", 0xFFFFFF0C20000000)])
            out.append({"func": func, "arg": f"0x{arg + 0x40 * rng.randrange(1 << 16):x}", "cpu": cpu,
                        "expires": rng.choice([rng.randrange(1, 500), rng.randrange(0x4000, 0x40000)])})
    return out


def devices(threads: int, ncpu: int) -> dict[str, Any]:
    """Drivers, a device tree and the kernel variables only an author knows
    (``majors``, ``devinfo``, ``globals``): a PCI bus with one disk per
    thousand threads (up to 64, every seventh offline) and a NIC, with
    driver, hardware and system properties. Drawn from the sizes alone,
    so the rest of the dump is what it was for the same seed."""
    ndisks = max(1, min(64, threads // 1000))
    addr = [0xFFFFFF0C00000000]

    def node(name: str, driver: str | None, major: int | None, inst: int, **more: Any) -> dict[str, Any]:
        addr[0] += 0x2D8 * 3
        n: dict[str, Any] = {"addr": f"0x{addr[0]:x}", "name": name, "instance": inst,
                             "state": more.pop("state", "attached"), "children": more.pop("children", [])}
        if driver is not None:
            n["driver"], n["major"] = driver, major
        n.update(more)
        return n

    disks = [node("sd", "sd", 33, i, state="offline" if i % 7 == 3 else "attached", unit_address=f"{i},0",
                  props={"target": i, "lun": 0, "inquiry-vendor-id": "ACME", "inquiry-product-id": "DISK"})
             for i in range(ndisks)]
    root = node("i86pc", "rootnex", 1, 0, children=[
        node("pci", "npe", 180, 0, unit_address="0,0",
             hw_props={"device_type": "pci", "bus-range": [0, 255], "model": "PCI Express"},
             children=[node("pci1000,3060", "mpt_sas", 181, 0, unit_address="1", children=disks),
                       node("pci8086,10d3", "e1000g", 235, 0, unit_address="2", refcnt=1,
                            sys_props={"ddi-no-autodetach": 1})]),
        node("pseudo", "pseudo", 2, 0)])
    physmem = ncpu * 0x100000          # 4 GiB of 4K pages per CPU
    return {
        "majors": [{"major": 1, "name": "rootnex"}, {"major": 2, "name": "pseudo"},
                   {"major": 33, "name": "sd", "props": [
                       {"name": "sd-config-list", "value": ["ACME    DISK", "acme-data"]},
                       {"name": "sd_retry_on_reservation_conflict", "value": 1}]},
                   {"major": 180, "name": "npe"}, {"major": 181, "name": "mpt_sas"},
                   {"major": 235, "name": "e1000g", "props": [{"name": "MaxFrameSize", "value": [0, 0, 0, 0]},
                                                            {"name": "flow-control", "value": True}]}],
        "devinfo": root,
        "globals": {"physmem": physmem, "freemem": physmem // 3, "availrmem": physmem // 2},
    }


#: kmem caches of a running illumos kernel (name, buffer size), and the
#: callers that allocate from each kind (docs/dump-format.md, "kmem")
GEN_CACHES = [("kmem_alloc_" + str(n), n) for n in (8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256,
                                                    320, 384, 448, 512, 640, 768, 896, 1152, 1344, 1600,
                                                    2048, 2688, 4096, 8192)] + [
    ("kmem_magazine_1", 16), ("kmem_magazine_15", 128), ("kmem_slab_cache", 56), ("kmem_bufctl_cache", 24),
    ("thread_cache", 1296), ("lwp_cache", 1904), ("process_cache", 3896), ("cred_cache", 184),
    ("file_cache", 56), ("vn_cache", 200), ("anon_cache", 48), ("seg_cache", 96), ("zio_cache", 880),
    ("dnode_t", 752), ("dmu_buf_impl_t", 192), ("arc_buf_hdr_t", 176), ("streams_mblk", 64),
    ("streams_dblk_80", 144), ("ip_minor_arena_sa_1", 1), ("taskq_ent_cache", 56)]
GEN_SITES = [["genunix`kmem_zalloc+0x47", "zfs`zfs_znode_alloc+0x42", "zfs`zfs_mknode+0x9d7", "zfs`zfs_create+0x4e0"],
             ["genunix`allocb+0x64", "sockfs`socopyinuio+0x87", "sockfs`so_sendmsg+0x2a1"],
             ["genunix`kmem_zalloc+0x47", "genunix`ddi_soft_state_zalloc+0x5c", "mydrv`mydrv_attach+0x11d"],
             ["genunix`vn_alloc+0x1a", "zfs`zfs_znode_alloc+0x5b", "zfs`zfs_zget+0x198"],
             ["genunix`anon_alloc+0x2b", "genunix`anon_zero+0x8d", "genunix`segvn_faultpage+0x3a1"],
             ["genunix`crdup+0x1f", "genunix`crcopy+0x22", "genunix`setuid+0x120"]]


def kmem_section(nbuffers: int, leaked: int, threads: list[str], rng: random.Random) -> dict[str, Any]:
    """A kmem section of NBUFFERS allocated buffers in the caches of
    GEN_CACHES (a few big, most small), each cache's in one to three
    groups with their own callers and a chain root; LEAKED more buffers
    from mydrv's ioctl that nothing references (docs/dump-format.md, "kmem")."""
    weights = [1.0 / (k + 1) for k in range(len(GEN_CACHES))]
    total = sum(weights)
    caches: list[dict[str, Any]] = []
    for k, (name, size) in enumerate(GEN_CACHES):
        n = int(nbuffers * weights[k] / total)
        groups = []
        parts = rng.randrange(1, 4)
        for g in range(parts):
            count = n // parts + (n % parts if g == 0 else 0)
            if not count:
                continue
            groups.append({"count": count, "stack": rng.choice(GEN_SITES), "thread": rng.choice(threads),
                           "time": rng.randrange(10**9, 10**12), "every": rng.randrange(1000, 10**7),
                           "root": f"genunix`kmem_gen_pool{k}"})
        if name == "kmem_alloc_256" and leaked:
            groups.append({"count": leaked, "stack": ["mydrv`mydrv_getstats+0x2c", "mydrv`mydrv_ioctl+0x8c",
                                                      "genunix`cdev_ioctl+0x45", "genunix`ioctl+0x18e"],
                           "thread": rng.choice(threads), "time": 10**9, "every": 10**9})
        caches.append({"name": name, "size": size, "allocated": groups, "free": rng.randrange(0, 64)})
    return {"caches": caches}


def write(dump: dict[str, Any], out: TextIO) -> None:
    json.dump(dump, out, separators=(",", ":"))
    out.write("\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kdb-gen", description=__doc__.split("\n\n")[0])
    p.add_argument("--procs", type=int, default=100, help="number of processes (default 100)")
    p.add_argument("--threads", type=int, default=1000, help="number of threads (default 1000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--cpus", type=int, default=16, help="number of CPUs (default 16)")
    p.add_argument("--panic", action="store_true", help="make it a panic dump")
    p.add_argument("--nodename", help="the system's node name")
    p.add_argument("--version", help="the release's version string (snv_89 renders as the 2008 mdb; "
                   "default joyent_20260101T000000Z, today's illumos)")
    p.add_argument("--domain", action="store_true", help="a Xen domain image (no dump header)")
    p.add_argument("--realistic", action="store_true",
                   help="stacks as real captures give them: frame pointers and arguments, many "
                        "shapes, symbol tables (benchmarks use this)")
    p.add_argument("--kmem-buffers", type=int, default=0, metavar="N",
                   help="a kmem section with N allocated buffers across ~50 caches, audited (kmem_flags 0xf)")
    p.add_argument("--leak", type=int, default=0, metavar="N",
                   help="with --kmem-buffers: N more kmem_alloc_256 buffers that nothing references")
    p.add_argument("-o", "--output", help="output file (default stdout)")
    a = p.parse_args(argv)
    if a.kmem_buffers < 0 or a.leak < 0 or a.kmem_buffers + a.leak > 1 << 24:
        p.error("--kmem-buffers and --leak must be 0 to 2^24 in all")
    if a.procs < 1 or a.threads < 0 or a.cpus < 1:
        p.error("--procs and --cpus must be at least 1, --threads at least 0")
    dump = generate(a.procs, a.threads, a.seed, panic=a.panic, nodename=a.nodename, ncpu=a.cpus,
                    realistic=a.realistic)
    if a.kmem_buffers or a.leak:
        threads = [t["addr"] for p in dump["procs"] for t in p["threads"]] or [None]
        dump["kmem"] = kmem_section(a.kmem_buffers, a.leak, [t for t in threads if t], random.Random(a.seed + 4))
        dump.setdefault("globals", {})["kmem_flags"] = "0xf"
        dump["x_generator"] += f" --kmem-buffers {a.kmem_buffers}" + (f" --leak {a.leak}" if a.leak else "")
    if a.version:
        dump["system"]["version"] = a.version
    if a.domain:
        dump["system"]["domain"] = True
    if a.output:
        with open(a.output, "w", encoding="utf-8") as f:
            write(dump, f)
    else:
        write(dump, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
