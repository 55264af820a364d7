#!/usr/bin/env python3
"""Build the teaching scenarios: panic, deadlock, donutshop, rwstarve, nfshang.

Each is a small coherent story with a believable system around it. The
output is deterministic: run ``python dumps/build_scenarios.py`` after a
change and review the diff of the JSON. (jurassic has its own builder.)
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).parent
SYSCALL = "sys_syscall+0x17b"
TQ = ["swtch+0x141", "cv_wait+0x70", "taskq_thread_wait+0xbe", "taskq_thread+0x37c", "thread_start+8"]
DOOR = ["swtch+0x141", "cv_wait_sig_swap_core+0x1b9", "cv_wait_sig_swap+0x17", "door_return+0x242",
        "doorfs32+0x119", "_sys_sysenter_post_swapgs+0x149"]
PARK = ["swtch+0x141", "cv_wait_sig_swap_core+0x1b9", "cv_wait_sig_swap+0x17", "lwp_park+0x15e",
        "syslwp_park+0x63", SYSCALL]
POLL = ["swtch+0x141", "cv_timedwait_sig_hires+0x39d", "cv_waituntil_sig+0xfa", "poll_common+0x47a",
        "pollsys+0xe4", SYSCALL]


class Scenario:
    """A dump under construction, with addresses handed out deterministically."""

    def __init__(self, name: str, nodename: str, seed: int, *, ncpu: int = 8,
                 version: str = "joyent_20110727T191049Z", time: str = "2011-08-03T14:22:51Z") -> None:
        self.name = name
        self.rng = random.Random(seed)
        self.ncpu = ncpu
        self.time = time
        self.procs: list[dict] = []
        self.sobjs: list[dict] = []
        self.kthreads: list[dict] = []
        self.next_thread = 0xFFFFFF0007C00C40
        self.next_uthread = 0xFFFFFF01E4A10000
        self.next_proc = 0xFFFFFF01D2B30000
        self.next_sp = 0xFFFFFF0008010000
        self.cpu_thread: dict[int, str] = {}
        self.idle: dict[int, str] = {}
        self.dump: dict = {"kdb_dump": 1, "system": {
            "nodename": nodename, "version": version, "release": "5.11", "time": time,
            "boot_time": time[:11] + "02:10:07Z", "image_uuid": None}}
        for c in range(ncpu):
            t = self.kthread(["idle+0x116", "thread_start+8"], state="onproc", start="idle", pri=-1, cpu=c)
            self.idle[c] = t["addr"]

    def _addr(self, kind: str) -> str:
        if kind == "k":
            self.next_thread += 0x6000
            return f"0x{self.next_thread:x}"
        if kind == "u":
            self.next_uthread += 0x6A0 + 0x20 * self.rng.randrange(3)
            return f"0x{self.next_uthread:x}"
        self.next_proc += 0x1A48
        return f"0x{self.next_proc:x}"

    def thread(self, kind: str, stack: list, *, state: str = "sleep", wchan: str | None = None,
               sobj: str = "cv", pri: int = 59, cpu: int | None = None, **extra) -> dict:
        addr = self._addr(kind)
        self.next_sp += 0x5000
        t: dict = {"addr": addr, "state": state, "pri": pri, "sp": f"0x{self.next_sp + 0xc80:x}",
                   "stack": stack, "cpu": cpu if cpu is not None else self.rng.randrange(self.ncpu)}
        if wchan:
            t["wchan"] = wchan
            t["sobj"] = {"type": sobj, "addr": wchan}
        elif state == "sleep" and sobj in ("cv",):
            w = f"0x{0xFFFFFF01D0000000 + self.rng.randrange(1 << 20) * 0x10:x}"
            t["wchan"] = w
            t["sobj"] = {"type": "cv", "addr": w}
        if state == "onproc":
            t.pop("sp", None) if not stack else None
        t.update(extra)
        return t

    def kthread(self, stack: list, **kw) -> dict:
        t = self.thread("k", stack, pri=kw.pop("pri", 60), **kw)
        self.kthreads.append(t)
        return t

    def proc(self, pid: int, comm: str, psargs: str | None = None, *, ppid: int = 1, nthreads: int = 1,
             stacks: list | None = None, threads: list | None = None, zone: int | str = 0,
             uid: int = 0, start: str | None = None, **extra) -> dict:
        tl = threads if threads is not None else []
        if threads is None:
            for i in range(nthreads):
                st = (stacks or [PARK])[i % len(stacks or [PARK])]
                tl.append(self.thread("u", st))
        for i, t in enumerate(tl):
            t.setdefault("tid", i + 1)
            t.setdefault("lwp", f"0x{int(t['addr'], 16) + 0x30000000:x}")
        p = {"addr": self._addr("p"), "pid": pid, "ppid": ppid, "comm": comm, "psargs": psargs or comm,
             "uid": uid, "zone": zone, "flags": 0x4A004000, "threads": tl,
             "start": start or self.dump["system"]["boot_time"]}
        p.update(extra)
        self.procs.append(p)
        return p

    def background(self, daemons: bool = True) -> None:
        """A believable rest of the system: kernel threads and the usual daemons."""
        for i in range(60):
            t = self.kthread(TQ, start="taskq_thread", name=f"tq:{['system_taskq', 'zio_write_issue', 'callout_taskq', 'console_taskq'][i % 4]}")
            # an idle worker waits on its queue's tq_dispatch_cv (taskq_t + 0x30)
            cv = f"0x{0xFFFFFF01D1A00030 + 0x100 * (i % 4):x}"
            t["wchan"], t["sobj"] = cv, {"type": "cv", "addr": cv}
        for stack, start in ((["swtch+0x141", "cv_wait+0x70", "txg_thread_wait+0xaf", "txg_sync_thread+0x143", "thread_start+8"], "txg_sync_thread"),
                             (["swtch+0x141", "cv_timedwait_hires+0xec", "cv_timedwait+0x5c", "arc_reclaim_thread+0x13d", "thread_start+8"], "arc_reclaim_thread"),
                             (["swtch+0x141", "cv_wait+0x70", "pageout_scanner+0x121", "thread_start+8"], "pageout_scanner")):
            self.kthread(stack, start=start)
        if daemons:
            self.proc(1, "init", "/sbin/init", ppid=0, stacks=[["swtch+0x141", "cv_wait_sig_swap_core+0x1b9", "cv_wait_sig_swap+0x17", "sigsuspend+0x101", SYSCALL]])
            self.proc(8, "svc.startd", "/lib/svc/bin/svc.startd", nthreads=12, stacks=[PARK, DOOR])
            self.proc(10, "svc.configd", "/lib/svc/bin/svc.configd", ppid=8, nthreads=14, stacks=[DOOR, PARK])
            self.proc(95, "nscd", "/usr/sbin/nscd", nthreads=20, stacks=[DOOR, PARK])
            self.proc(152, "syslogd", "/usr/sbin/syslogd", nthreads=9, stacks=[POLL, DOOR])
            self.proc(301, "sshd", "/usr/lib/ssh/sshd", stacks=[POLL])

    def write(self, extra: dict | None = None) -> Path:
        sched = {"addr": "0xfffffffffbc2ea80", "pid": 0, "comm": "sched", "flags": 0x1, "threads": self.kthreads,
                 "start": self.dump["system"]["boot_time"]}
        procs = [sched] + sorted(self.procs, key=lambda p: p["pid"])
        cpus = []
        for c in range(self.ncpu):
            on = self.cpu_thread.get(c, self.idle[c])
            cpus.append({"id": c, "addr": f"0x{0xFFFFFFFFFBC3D240 if c == 0 else 0xFFFFFF01D1F5E000 + 0x1000 * c:x}",
                         "flags": 0x1B, "thread": on, "idle_thread": self.idle[c],
                         "pri": -1 if on == self.idle[c] else 59, "nrun": 0,
                         "switch_ticks": self.rng.randrange(1, 90)})
        self.dump.update({"cpus": cpus, "procs": procs, "sobjs": self.sobjs})
        if extra:
            self.dump.update(extra)
        path = OUT / f"{self.name}.json"
        path.write_text(json.dumps(self.dump, indent=1) + "\n")
        return path

    def onproc(self, t: dict, cpu: int) -> dict:
        t["state"] = "onproc"
        t["cpu"] = cpu
        self.cpu_thread[cpu] = t["addr"]
        return t


MYDRV_IOCTL_CODE = ("554889e5415541544883ec104189f4488955e889fe488b3dec1f0000e8ef3daa034531ed"
                    "4181fc0200594d741f4181fc0100594d7520488b7de8488b30ba40000000e839000000"
                    "4189c5eb104889c7e88c000000eb0641bd190000004489e84883c410415c415dc9c3")


def msgs(time: str, lines: list[str]) -> list[dict]:
    return [{"time": time, "text": line + "\n"} for line in lines]


# --------------------------------------------------------------------------
def panic() -> None:
    s = Scenario("panic", "build07", 7, ncpu=4, time="2011-08-03T14:22:51Z")
    s.background()
    victim = s.thread("u", ["vpanic", "die+0xdf", "trap+0xdb3", "cmntrap+0xe6",
                            {"pc": "mydrv`mydrv_ioctl+0x3a", "args": ["0x5a00000001", "0x4d590001", "0x8047c40"]},
                            "cdev_ioctl+0x45", "specfs`spec_ioctl+0x5a", "fop_ioctl+0x7b", "ioctl+0x18e",
                            "_sys_sysenter_post_swapgs+0x149"], state="onproc", cpu=1)
    s.onproc(victim, 1)
    s.proc(4417, "mydrvstat", "/opt/mydrv/bin/mydrvstat -i 5", ppid=4410, threads=[victim],
           start="2011-08-03T14:22:49Z")
    s.proc(4410, "bash", "-bash", ppid=4409, stacks=[["swtch+0x141", "cv_wait_sig_swap_core+0x1b9", "cv_wait_sig_swap+0x17", "waitid+0x24e", "waitsys32+0x2f", SYSCALL]], uid=101)
    s.write({
        "panic": {"message": "BAD TRAP: type=e (#pf Page fault) rp=ffffff000f8b7a50 addr=0 occurred in "
                             "module \"mydrv\" due to a NULL pointer dereference",
                  "cpu": 1, "thread": victim["addr"], "time": "2011-08-03T14:22:51Z",
                  "registers": {"rdi": "0x8047c40", "rsi": "0x4d590001", "rdx": "0x8047c40", "rcx": "0x3",
                                "r8": "0xffffff01d4e3a000", "r9": "0x0", "rax": "0x0",
                                "rbx": "0xffffff01d53ad6c0", "rbp": "0xffffff000f8b7b60",
                                "r10": "0xfffffffffb855f10", "r11": "0x0", "r12": "0x4d590001",
                                "r13": "0x0", "r14": "0xffffff01d60c8580", "r15": "0x0",
                                "fsbase": "0x0", "gsbase": "0xffffff01d1f5f000", "ds": "0x4b",
                                "es": "0x4b", "fs": "0x0", "gs": "0x1c3", "trapno": "0xe", "err": "0x0",
                                "rip": "0xfffffffff7e0003a", "cs": "0x30", "rflags": "0x10246",
                                "rsp": "0xffffff000f8b7b40", "ss": "0x38", "gdt_hi": "0x0", "cr2": "0x0"}},
        "modules": [{"id": 0, "name": "unix", "desc": None},
                    {"id": 1, "name": "genunix", "desc": None,
                     "symbols": [{"name": "ddi_get_soft_state", "addr": "0xfffffffffb8a3e10", "size": "0x7e",
                                  "kind": "func"}]},
                    {"id": 61, "name": "specfs", "desc": "filesystem for specfs"},
                    # mydrv_ioctl is declared where the panic's %rip points (rip = +0x3a)
                    {"id": 212, "name": "mydrv", "desc": "mydrv pseudo driver 1.3",
                     "text": "0xfffffffff7e00000", "text_size": "0x1000",
                     "symbols": [{"name": "mydrv_ioctl", "addr": "0xfffffffff7e00000", "size": "0x69",
                                  "kind": "func"},
                                 {"name": "copyout_stats", "addr": "0xfffffffff7e00080", "size": "0x58",
                                  "kind": "func"},
                                 {"name": "mydrv_reset", "addr": "0xfffffffff7e000e0", "size": "0x3c",
                                  "kind": "func"},
                                 {"name": "mydrv_state", "addr": "0xfffffffff7e02008", "size": "0x8",
                                  "kind": "object"}]}],
        # mydrv_ioctl's machine code (amd64), so that $r and ::dis show the
        # NULL dereference: ddi_get_soft_state() returned NULL for a minor
        # with no soft state, and +0x3a loads through it (movq (%rax),%rsi).
        # Assembled from:
        #   pushq %rbp; movq %rsp,%rbp; pushq %r13; pushq %r12; subq $0x10,%rsp
        #   movl %esi,%r12d; movq %rdx,-0x18(%rbp); movl %edi,%esi
        #   movq mydrv_state(%rip),%rdi; call ddi_get_soft_state
        #   xorl %r13d,%r13d; cmpl $0x4d590002,%r12d; je reset
        #   cmpl $0x4d590001,%r12d; jne notsup
        #   movq -0x18(%rbp),%rdi; movq (%rax),%rsi; movl $0x40,%edx
        #   call copyout_stats; movl %eax,%r13d; jmp out
        #   reset: movq %rax,%rdi; call mydrv_reset; jmp out
        #   notsup: movl $0x19,%r13d
        #   out: movl %r13d,%eax; addq $0x10,%rsp; popq %r12; popq %r13; leave; ret
        # (copyout_stats and mydrv_reset have no code in the dump: ::dis
        # gives mdb's read error for them.)
        "memory": [{"addr": "0xfffffffff7e00000", "hex": MYDRV_IOCTL_CODE}],
        "msgbuf": msgs("2011-08-03T02:10:07Z", ["SunOS Release 5.11 Version joyent_20110727T191049Z 64-bit",
                                                "pseudo-device: mydrv0", "mydrv0 is /pseudo/mydrv@0"]) +
        msgs("2011-08-03T14:22:51Z", [
            "", f"panic[cpu1]/thread={victim['addr'][2:]}: ",
            "BAD TRAP: type=e (#pf Page fault) rp=ffffff000f8b7a50 addr=0 occurred in module \"mydrv\" due to a NULL pointer dereference",
            "", "mydrvstat: #pf Page fault", "Bad kernel fault at addr=0x0",
            "pid=4417, pc=0xfffffffff7e0003a, sp=0xffffff000f8b7b40, eflags=0x10246",
            "syncing file systems...", " done", "dumping to /dev/zvol/dsk/zones/dump, offset 65536, content: kernel"]),
        # name_to_major numbers as an illumos install gives them; mydrv.conf
        # sets the driver's global properties (a boolean one has no value)
        "majors": [{"major": 1, "name": "rootnex"}, {"major": 2, "name": "pseudo"},
                   {"major": 180, "name": "npe"}, {"major": 204, "name": "pcieb"},
                   {"major": 301, "name": "mydrv", "props": [
                       {"name": "mydrv-log-ioctls", "value": True},
                       {"name": "max-sessions", "value": 64}]}],
        "devinfo": {"addr": "0xffffff01d1e4bd08", "name": "i86pc", "driver": "rootnex", "major": 1,
                    "instance": 0, "state": "attached", "children": [
            {"addr": "0xffffff01d1e4b7b8", "name": "pci", "driver": "npe", "major": 180,
             "instance": 0, "state": "attached", "unit_address": "0,0",
             "hw_props": {"device_type": "pci", "bus-range": [0, 255], "model": "PCI Express"},
             "children": [
                 {"addr": "0xffffff01d1e4a3c0", "name": "pci8086,340a", "driver": "pcieb", "major": 204,
                  "instance": 1, "state": "attached", "unit_address": "1", "refcnt": 0,
                  "hw_props": {"vendor-id": 0x8086, "device-id": 0x340a,
                               "compatible": ["pciex8086,340a.8086.0.22", "pciex8086,340a",
                                              "pciexclass,060400", "pci8086,340a"],
                               "reg": [0x800, 0, 0, 0, 0]},
                  "children": []}]},
            {"addr": "0xffffff01d1e4b268", "name": "pseudo", "driver": "pseudo", "major": 2,
             "instance": 0, "state": "attached", "children": [
                 {"addr": "0xffffff01d6f27a10", "name": "mydrv", "driver": "mydrv", "major": 301,
                  "instance": 0, "state": "attached", "unit_address": "0", "refcnt": 1,
                  "sys_props": {"ddi-no-autodetach": 1},
                  "props": {"ring-size": 256, "buffer-bytes": 8589934592, "label": "mydrv\tA"},
                  "children": []},
                 {"addr": "0xffffff01d6f27560", "name": "mydrv", "driver": "mydrv", "major": 301,
                  "instance": 1, "state": "offline", "unit_address": "1", "children": []}]}]},
    })


def deadlock() -> None:
    s = Scenario("deadlock", "ledger", 11, ncpu=8)
    s.background()
    dir_lock, ent_lock = "0xffffff01e3f20c08", "0xffffff01e3f21410"
    rename = lambda holder: ["swtch+0x141", "turnstile_block+0x21a", "mutex_vector_enter+0x3a3",  # noqa: E731
                             "acctfs`acct_lock_entry+0x4c", "acctfs`acct_rename+0x11e",
                             "fop_rename+0xcb", "vn_renameat+0x31a", "rename+0x1b", SYSCALL]
    link = ["swtch+0x141", "turnstile_block+0x21a", "mutex_vector_enter+0x3a3",
            "acctfs`acct_lock_dir+0x3a", "acctfs`acct_link+0x9c", "fop_link+0x6c", "vn_link+0x191",
            "link+0x20", SYSCALL]
    t1 = s.thread("u", rename(True), wchan=ent_lock, sobj="mutex")
    t2 = s.thread("u", link, wchan=dir_lock, sobj="mutex")
    for t in (t1, t2):
        del t["wchan"]
    s.proc(20311, "ledgerd", "/opt/ledger/bin/ledgerd -c /etc/ledger.conf", nthreads=0,
           threads=[t1, t2] + [s.thread("u", PARK) for _ in range(4)], uid=80)
    queue_a = [s.thread("u", ["swtch+0x141", "turnstile_block+0x21a", "mutex_vector_enter+0x3a3",
                              "acctfs`acct_lock_dir+0x3a", "acctfs`acct_lookup+0x58", "fop_lookup+0xa2",
                              "lookuppnvp+0x1f6", "lookuppnatcred+0x15e", "lookupnameat+0x69",
                              "cstatat_getvp+0x12b", "cstatat64_32+0x49", SYSCALL], sobj="mutex")
               for _ in range(14)]
    for t in queue_a:
        t["sobj"] = {"type": "mutex", "addr": dir_lock}
        t.pop("wchan", None)
    s.proc(20340, "ledger-report", "/opt/ledger/bin/ledger-report --daily", nthreads=0,
           threads=queue_a[:8], uid=80)
    s.proc(20341, "backup", "/usr/bin/tar cf /backup/ledger.tar /ledger", nthreads=0, threads=queue_a[8:])
    queue_b = [s.thread("u", ["swtch+0x141", "turnstile_block+0x21a", "mutex_vector_enter+0x3a3",
                              "acctfs`acct_lock_entry+0x4c", "acctfs`acct_getattr+0x31", "fop_getattr+0xa8",
                              "cstat64_32+0x4a", "fstat64_32+0x43", SYSCALL], sobj="mutex") for _ in range(6)]
    for t in queue_b:
        t["sobj"] = {"type": "mutex", "addr": ent_lock}
        t.pop("wchan", None)
    s.proc(20355, "ledger-web", "/opt/ledger/bin/ledger-web -p 8080", nthreads=0, threads=queue_b, uid=80)
    s.sobjs += [{"addr": dir_lock, "type": "mutex", "name": "acct_dir_lock", "kind": "adaptive", "owner": t1["addr"]},
                {"addr": ent_lock, "type": "mutex", "name": "acct_entry_lock", "kind": "adaptive", "owner": t2["addr"]}]
    s.write({"msgbuf": msgs("2011-08-03T02:10:07Z", ["SunOS Release 5.11 Version joyent_20110727T191049Z 64-bit",
                                                     "NOTICE: acctfs: mounted /ledger"]) +
             msgs("2011-08-03T13:58:02Z", ["WARNING: ledgerd[20311]: rename of /ledger/2011/08/03.tmp is taking longer than 60 seconds"]),
             "modules": [{"id": 0, "name": "unix"}, {"id": 1, "name": "genunix"},
                         {"id": 188, "name": "acctfs", "desc": "accounting file system 2.1"}]})


def donutshop() -> None:
    s = Scenario("donutshop", "bakery", 21, ncpu=4, version="snv_89", time="2008-06-02T09:31:12Z")
    s.background()
    s.dump["zones"] = [
        {"id": 0, "name": "global", "status": "running", "path": "/", "brand": "native"},
        {"id": 3, "name": "donutshop", "addr": "0xffffff01d9a22000", "status": "running",
         "path": "/zones/donutshop", "brand": "ipkg", "ip": "shared",
         "uuid": "6f0ad3de-3c2e-6c5c-b0a3-fb6c37a7d8e1", "capped_cpu": 1.5},
        {"id": 4, "name": "eclairs", "addr": "0xffffff01d9a26000", "status": "running",
         "path": "/zones/eclairs", "brand": "ipkg", "ip": "shared", "capped_cpu": None}]
    s.proc(2201, "zsched", "zsched", ppid=0, zone="donutshop", stacks=[["swtch+0x141", "cv_wait+0x70", "zsched+0x8e5", "thread_start+8"]])
    s.proc(2240, "init", "/sbin/init", ppid=2201, zone="donutshop", stacks=[["swtch+0x141", "cv_wait_sig_swap_core+0x1b9", "cv_wait_sig_swap+0x17", "sigsuspend+0x101", SYSCALL]])
    s.proc(2301, "bash", "bash /export/bake.sh", ppid=2240, zone="donutshop", uid=500,
           stacks=[["swtch+0x141", "cv_wait_sig_swap_core+0x1b9", "cv_wait_sig_swap+0x17", "waitid+0x24e", "waitsys32+0x2f", SYSCALL]],
           start="2008-06-02T09:12:40Z")
    spin = ["swtch+0x141", "preempt+0xec", "trap+0x13e2", "_sys_rtt_ints_disabled+0x8"]
    run = []
    for i in range(40):
        t = s.thread("u", spin, state="run", pri=0)
        t.pop("wchan", None)
        t.pop("sobj", None)
        run.append(t)
        s.proc(2400 + i * 3, "fryer", "/export/bin/fryer --batch " + str(i), ppid=2301, zone="donutshop",
               uid=500, threads=[t], start=f"2008-06-02T09:{13 + i // 4:02d}:{(i * 7) % 60:02d}Z")
    for c, t in zip((0, 2), run[:2]):
        s.onproc(t, c)
    s.proc(3101, "httpd", "/usr/apache2/bin/httpd -k start", ppid=1, zone="eclairs", uid=80, nthreads=8,
           stacks=[POLL, ["swtch+0x141", "preempt+0xec", "trap+0x13e2", "_sys_rtt_ints_disabled+0x8"]])
    s.proc(412, "cron", "/usr/sbin/cron", stacks=[["swtch+0x141", "cv_timedwait_sig_hires+0x39d", "cv_waituntil_sig+0xfa", "nanosleep+0x19f", SYSCALL]])
    s.write({"msgbuf": msgs("2008-06-02T08:50:07Z", ["SunOS Release 5.11 Version snv_89 64-bit",
                                                     "NOTICE: zone donutshop: booted", "NOTICE: zone eclairs: booted"]) +
             msgs("2008-06-02T09:30:40Z", ["WARNING: eclairs httpd: request queue full, 512 connections waiting"])})


def rwstarve() -> None:
    s = Scenario("rwstarve", "mailhub", 31, ncpu=8)
    s.background()
    lock = "0xffffff01e8c43e70"
    io = ["swtch+0x141", "cv_wait+0x70", "zfs`zio_wait+0x5d", "zfs`dmu_buf_hold_array_by_dnode+0x238",
          "zfs`dmu_read+0x89", "zfs`zfs_getpage+0x25f", "fop_getpage+0x7e", "segvn_fault+0xdfa",
          "as_fault+0x5ee", "pagefault+0x99", "trap+0xe63", "cmntrap+0xe6"]
    readers = [s.thread("u", io) for _ in range(3)]
    s.proc(733, "mailindex", "/opt/mail/bin/mailindex --rebuild", nthreads=0, threads=readers, uid=25)
    writer = s.thread("u", ["swtch+0x141", "turnstile_block+0x21a", "rw_enter_sleep+0x205",
                            "as_map_locked+0x3c", "as_map+0x4b", "smmap_common+0x1c1", "smmap64+0x64",
                            SYSCALL], wchan=lock, sobj="rwlock")
    writer.pop("wchan")
    s.proc(734, "mailindex-gc", "/opt/mail/bin/mailindex --gc", nthreads=0, threads=[writer], uid=25)
    blocked = []
    for i in range(30):
        t = s.thread("u", ["swtch+0x141", "turnstile_block+0x21a", "rw_enter_sleep+0x1a3",
                           "as_fault+0x19c", "pagefault+0x99", "trap+0xe63", "cmntrap+0xe6"],
                     wchan=lock, sobj="rwlock")
        t.pop("wchan")
        blocked.append(t)
    s.proc(735, "imapd", "/usr/local/sbin/imapd", nthreads=0, threads=blocked, uid=25)
    s.sobjs.append({"addr": lock, "type": "rwlock", "name": "as->a_lock", "writer": None, "readers": 3,
                    "write_wanted": True})
    s.write({"msgbuf": msgs("2011-08-03T02:10:07Z", ["SunOS Release 5.11 Version joyent_20110727T191049Z 64-bit"]) +
             msgs("2011-08-03T14:01:17Z", ["WARNING: /pci@0,0/pci8086,3c06@2,2/pci1000,3050@0/sd@4,0 (sd4):",
                                           "\tError for Command: read(10) Error Level: Retryable",
                                           "\tSense Key: Unit Attention"])})


def nfshang() -> None:
    s = Scenario("nfshang", "devbox", 41, ncpu=4)
    s.background()
    rpc = ["swtch+0x141", "cv_timedwait_sig_hires+0x39d", "cv_timedwait_sig+0x49",
           "rpcmod`clnt_cots_kcallit+0x676", "nfs`nfs4_rfscall+0x3a7", "nfs`rfs4call+0xd7",
           "nfs`nfs4getattr_otw+0x1a4"]
    stat_ = rpc + ["nfs`nfs4_getattr+0x74", "fop_getattr+0xa8", "cstat64_32+0x4a", "fstatat64_32+0x43", SYSCALL]
    look = rpc + ["nfs`nfs4_lookup+0x21d", "fop_lookup+0xa2", "lookuppnvp+0x1f6", "lookuppnatcred+0x15e",
                  "lookupnameat+0x69", "cstatat_getvp+0x12b", "cstatat64_32+0x49", SYSCALL]
    s.proc(5101, "ls", "ls -l /net/fileserver/export/home", ppid=5090, stacks=[look], uid=1001,
           start="2011-08-03T13:40:02Z")
    s.proc(5090, "bash", "-bash", ppid=5089, uid=1001, stacks=[["swtch+0x141", "cv_wait_sig_swap_core+0x1b9", "cv_wait_sig_swap+0x17", "waitid+0x24e", "waitsys32+0x2f", SYSCALL]])
    s.proc(5120, "df", "df -h", ppid=5110, stacks=[stat_], uid=1001, start="2011-08-03T13:52:10Z")
    s.proc(5133, "make", "make -j4 all", ppid=5130, stacks=[stat_], nthreads=1, uid=1002, start="2011-08-03T13:55:44Z")
    s.proc(5140, "vim", "vim notes.txt", ppid=5135, stacks=[stat_], uid=1003, start="2011-08-03T14:02:31Z")
    s.proc(5150, "find", "find /net -name *.core", ppid=1, stacks=[look], start="2011-08-03T14:05:00Z")
    s.kthread(["swtch+0x141", "cv_timedwait_sig_hires+0x39d", "cv_timedwait_sig+0x49",
               "nfs`nfs4_renew+0x1c8", "nfs`nfs4_renew_lease_thread+0x166", "thread_start+8"],
              start="nfs4_renew_lease_thread")
    s.write({"msgbuf": msgs("2011-08-03T02:10:07Z", ["SunOS Release 5.11 Version joyent_20110727T191049Z 64-bit"]) +
             msgs("2011-08-03T13:40:32Z", ["NFS server fileserver not responding still trying"]) +
             msgs("2011-08-03T13:45:32Z", ["NFS server fileserver not responding still trying"]) +
             msgs("2011-08-03T14:10:32Z", ["NFS server fileserver not responding still trying"])})


def audioglitch() -> None:
    """A priority inversion: a real-time audio thread waits for a mutex whose
    owner, a time-sharing thread, holds it across a disk read. The owner
    inherits the real-time priority (its turnstile says so) but cannot use
    it: it is asleep in biowait."""
    s = Scenario("audioglitch", "studio", 53, ncpu=4, time="2011-08-03T16:41:09Z")
    s.background()
    mix_lock = "0xffffff01d8a31c48"
    io_cv = "0xffffff01e1c07a20"
    consume = ["swtch+0x141", "turnstile_block+0x21a", "mutex_vector_enter+0x3a3",
               "audio`auclnt_consume+0x2b", "audio`audio_engine_consume+0x7e",
               "audio`audio_write+0x1c4", "fop_write+0x8b", "write+0x2a2", SYSCALL]
    rt = s.thread("u", consume, sobj="mutex", pri=110)
    rt["sobj"] = {"type": "mutex", "addr": mix_lock}
    rt.pop("wchan", None)
    volume = [s.thread("u", ["swtch+0x141", "turnstile_block+0x21a", "mutex_vector_enter+0x3a3",
                             "audio`auclnt_set_gain+0x3c", "audio`audio_ioctl+0x231", "fop_ioctl+0x55",
                             "ioctl+0x9b", SYSCALL], sobj="mutex", pri=59) for _ in range(2)]
    for t in volume:
        t["sobj"] = {"type": "mutex", "addr": mix_lock}
        t.pop("wchan", None)
    s.proc(4200, "audiod", "/usr/lib/audio/audiod -r 48000", nthreads=0,
           threads=[rt] + volume + [s.thread("u", PARK) for _ in range(3)], uid=0)
    # the owner: a time-sharing thread of the mixer's state saver, asleep in
    # a disk read with the mixer lock held (its epri: the inherited 110)
    saver = s.thread("u", ["swtch+0x141", "cv_wait+0x70", "biowait+0x76",
                           "ufs`ufs_getpage_miss+0x2d9", "ufs`ufs_getpage+0x9a5", "fop_getpage+0x7e",
                           "segmap_fault+0x1e7", "segmap_getmapflt+0x3f5", "ufs`rdip+0x1d5",
                           "ufs`ufs_read+0x116", "fop_read+0x8b", "vn_rdwr+0x1be",
                           "audio`mix_load_presets+0x6e", "audio`audio_mix_restore+0x91",
                           "audio`audio_ioctl+0x1c2", "fop_ioctl+0x55", "ioctl+0x9b", SYSCALL],
                     wchan=io_cv, sobj="cv", pri=40, epri=110)
    s.proc(4230, "mixctl", "mixctl restore --presets /export/studio/presets.db", ppid=4200,
           nthreads=0, threads=[saver], uid=1001, start="2011-08-03T16:40:51Z")
    # the CPUs are busy with time-sharing renders
    render = ["lame`encode_mp3_frame+0x61", "lame`lame_encode_buffer+0x1a9", "main+0x2c8", "_start+0x6c"]
    renders = []
    for c in range(s.ncpu):
        renders.append(s.onproc(s.thread("u", render, state="onproc", pri=49), c))
    s.proc(4300, "lame", "lame -V2 --preset extreme session.wav", nthreads=0, threads=renders, uid=1001,
           start="2011-08-03T16:30:12Z")
    s.sobjs += [{"addr": mix_lock, "type": "mutex", "name": "snd_mix_lock", "kind": "adaptive",
                 "owner": saver["addr"]}]
    s.write({"msgbuf": msgs("2011-08-03T02:10:07Z", ["SunOS Release 5.11 Version joyent_20110727T191049Z 64-bit",
                                                     "audio0: audio engine 48000 Hz, 2 channels"]) +
             msgs("2011-08-03T16:40:58Z", ["WARNING: audio0: play engine underrun (consumer late 212 ms)"]) +
             msgs("2011-08-03T16:41:04Z", ["WARNING: audio0: play engine underrun (consumer late 5008 ms)"]),
             "modules": [{"id": 0, "name": "unix"}, {"id": 1, "name": "genunix"},
                         {"id": 141, "name": "audio", "desc": "Audio Framework"},
                         {"id": 150, "name": "ufs", "desc": "filesystem for ufs"}]})


def tqstall() -> None:
    """A task queue backlog that stalls a storage driver: the controller
    reset (from raidctl) holds the softstate mutex while it waits for the
    outstanding commands to drain; their completions are queued on the
    driver's task queue, whose only worker waits for that same mutex."""
    s = Scenario("tqstall", "fileserv", 61, ncpu=8, time="2011-08-03T18:05:41Z")
    s.background()
    sc_mutex = "0xffffff01df4c2a08"
    drain_cv = "0xffffff01df4c2a3a"
    worker = s.kthread(["swtch+0x141", "turnstile_block+0x21a", "mutex_vector_enter+0x3a3",
                        "acmeraid`acmeraid_cmd_complete+0x5e", "taskq_thread+0x2d0", "thread_start+8"],
                       start="taskq_thread", pri=99)
    worker["sobj"] = {"type": "mutex", "addr": sc_mutex}
    worker.pop("wchan", None)
    reset = s.thread("u", ["swtch+0x141", "cv_timedwait_hires+0xec", "cv_timedwait+0x5c",
                           "acmeraid`acmeraid_drain+0x8a", "acmeraid`acmeraid_reset+0x71",
                           "acmeraid`acmeraid_ioctl+0x1c4", "cdev_ioctl+0x45", "specfs`spec_ioctl+0x5a",
                           "fop_ioctl+0x7b", "ioctl+0x18e", SYSCALL], wchan=drain_cv, sobj="cv")
    s.proc(4121, "raidctl", "raidctl -r c0t0d0", ppid=4102, nthreads=0, threads=[reset],
           start="2011-08-03T18:01:12Z")
    s.proc(4102, "bash", "-bash", ppid=4101, stacks=[["swtch+0x141", "cv_wait_sig_swap_core+0x1b9", "cv_wait_sig_swap+0x17", "waitid+0x24e", "waitsys32+0x2f", SYSCALL]])
    bio = ["swtch+0x141", "cv_wait+0x70", "biowait+0x7c", "sd`sd_send_scsi_cmd+0x1b8",
           "sd`sd_send_scsi_READ_CAPACITY+0x100", "sd`sd_ready_and_valid+0x2ba", "sd`sdopen+0x2f4",
           "dev_open+0x3d", "specfs`spec_open+0x4c8", "fop_open+0xa5", "vn_openat+0x7f9", "copen+0x435",
           "openat32+0x1a", SYSCALL]
    s.proc(4160, "format", "format -e", ppid=4102, stacks=[bio], start="2011-08-03T18:03:30Z")
    zio = ["swtch+0x141", "cv_wait+0x70", "zfs`zio_wait+0x5d", "zfs`dmu_buf_hold_array_by_dnode+0x238",
           "zfs`dmu_read_uio+0x5d", "zfs`zfs_read+0x1c6", "fop_read+0x8b", "read+0x2a2", SYSCALL]
    s.proc(3310, "nfsd", "/usr/lib/nfs/nfsd", nthreads=6, stacks=[zio], uid=1,
           start="2011-08-03T02:11:40Z")
    s.proc(4190, "zpool", "zpool status tank", ppid=4102, stacks=[["swtch+0x141", "cv_wait+0x70",
           "zfs`spa_config_enter+0x86", "zfs`spa_open_common+0x1f4", "zfs`spa_get_stats+0x4e",
           "zfs`zfs_ioc_pool_stats+0x36", "zfs`zfsdev_ioctl+0x327", "cdev_ioctl+0x45",
           "specfs`spec_ioctl+0x5a", "fop_ioctl+0x7b", "ioctl+0x18e", SYSCALL]],
           start="2011-08-03T18:04:02Z")
    s.sobjs += [{"addr": sc_mutex, "type": "mutex", "kind": "adaptive", "name": "acmeraid_softc.sc_mutex",
                 "owner": reset["addr"]},
                {"addr": drain_cv, "type": "cv", "name": "acmeraid_softc.sc_drain_cv"}]
    # 512 command completions wait for the worker, each with its command
    cmds = [f"0x{0xffffff01e7300000 + 0x180 * i:x}" for i in range(512)]
    # pending timeouts: the system's own, the driver's watchdog, and the
    # reset's timed wait (cv_timedwait's cv_wakeup of the raidctl thread)
    timeouts = [
        {"func": "ts_update", "cpu": 0, "realtime": True, "expires": 37},
        {"func": "kmem_update", "cpu": 0, "expires": 1412},
        {"func": "seg_pupdate", "cpu": 1, "expires": 61},
        {"func": "schedpaging", "cpu": 2, "expires": 9},
        {"func": "acmeraid`acmeraid_watchdog", "arg": "0xffffff01df4c2000", "cpu": 3, "expires": 213},
        {"func": "cv_wakeup", "arg": reset["addr"], "cpu": reset["cpu"], "expires": 344},
        {"func": "ip`tcp_timer_callback", "arg": "0xffffff01e2b1c2c0", "cpu": 5, "expires": 22133},
        {"func": "zfs`txg_sync_thread_wait_timeout", "arg": "0xffffff01dc4b7030", "cpu": 6, "hrestime": True,
         "expires": 412}]
    s.write({
        "callouts": timeouts,
        "taskqs": [{"addr": "0xffffff01df4c3b00", "name": "acmeraid_cmd_tq", "instance": 0,
                    "threads": [worker["addr"]], "maxq": 512, "executed": 1884213, "pri": 99,
                    "queue": [{"func": "acmeraid`acmeraid_cmd_complete", "arg": c} for c in cmds]}],
        "modules": [{"id": 0, "name": "unix"}, {"id": 1, "name": "genunix"},
                    {"id": 88, "name": "acmeraid", "desc": "ACME RAID HBA driver 2.4"},
                    {"id": 89, "name": "sd", "desc": "SCSI Disk Driver"},
                    {"id": 95, "name": "zfs", "desc": "ZFS storage pool"}],
        "msgbuf": msgs("2011-08-03T02:10:07Z", ["SunOS Release 5.11 Version joyent_20110727T191049Z 64-bit",
                                                "acmeraid0: ACME RAID controller, firmware 2.4.117"]) +
        msgs("2011-08-03T18:01:12Z", ["NOTICE: acmeraid0: controller reset requested"]) +
        msgs("2011-08-03T18:02:12Z", ["WARNING: acmeraid0: reset: 512 commands still outstanding, waiting"]) +
        msgs("2011-08-03T18:04:12Z", ["WARNING: acmeraid0: reset: 512 commands still outstanding, waiting"])})


#: the caches of a file server's kernel (name, buffer size, buffers in use,
#: the variable their chain hangs from); counts scaled down to keep the dump small
LEAK_CACHES = [
    ("kmem_magazine_1", 16, 3120, "genunix`kmem_depot_mags"),
    ("kmem_magazine_15", 128, 1840, "genunix`kmem_depot_mags"),
    ("kmem_slab_cache", 56, 9650, "genunix`kmem_slab_pool"),
    ("kmem_bufctl_cache", 24, 11210, "genunix`kmem_bufctl_pool"),
    ("kmem_alloc_8", 8, 14521, "genunix`kmem_small_pool"),
    ("kmem_alloc_16", 16, 11873, "genunix`kmem_small_pool"),
    ("kmem_alloc_32", 32, 9412, "genunix`kmem_small_pool"),
    ("kmem_alloc_64", 64, 7310, "genunix`kmem_small_pool"),
    ("kmem_alloc_128", 128, 4218, "genunix`kmem_small_pool"),
    ("kmem_alloc_256", 256, 2317, "genunix`kmem_small_pool"),
    ("kmem_alloc_512", 512, 1204, "genunix`kmem_small_pool"),
    ("kmem_alloc_1024", 1024, 611, "genunix`kmem_small_pool"),
    ("kmem_alloc_4096", 4096, 142, "genunix`kmem_small_pool"),
    ("thread_cache", 1296, 612, "genunix`thread_pool"),
    ("lwp_cache", 1904, 391, "genunix`thread_pool"),
    ("process_cache", 3896, 48, "genunix`proc_pool"),
    ("cred_cache", 184, 402, "genunix`cred_pool"),
    ("file_cache", 56, 1733, "genunix`file_pool"),
    ("vn_cache", 200, 21877, "genunix`vn_pool"),
    ("anon_cache", 48, 18840, "genunix`anon_pool"),
    ("seg_cache", 96, 1622, "genunix`seg_pool"),
    ("zio_cache", 880, 214, "zfs`zio_pool"),
    ("dnode_t", 752, 8512, "zfs`dnode_pool"),
    ("arc_buf_hdr_t", 176, 12410, "zfs`arc_pool"),
]


def leak() -> None:
    """A slow kernel memory leak: a firmware-monitoring daemon asks a driver
    for its status every second, and the driver's ioctl forgets to free the
    status buffer it allocates. After three weeks the kernel holds most of
    memory, allocations wait for memory that never comes, and the operator
    forces a dump (``reboot -d``). kmem_flags was 0xf (auditing on) since the
    first stall, so every buffer remembers who allocated it."""
    s = Scenario("leak", "vault03", 83, ncpu=4, time="2011-09-14T09:41:27Z")
    s.dump["system"]["boot_time"] = "2011-08-21T07:02:55Z"
    s.background()
    status = ["acmefw`acmefw_get_status+0x4c", "acmefw`acmefw_ioctl+0x112", "cdev_ioctl+0x45",
              "specfs`spec_ioctl+0x5a", "fop_ioctl+0x7b", "ioctl+0x18e", SYSCALL]
    mon = s.thread("u", ["swtch+0x141", "cv_timedwait_sig_hires+0x39d", "cv_waituntil_sig+0xfa",
                         "nanosleep+0x19f", SYSCALL])
    s.proc(611, "fwmond", "/opt/acme/sbin/fwmond -i 1", threads=[mon], start="2011-08-21T07:03:40Z")
    # threads waiting for kernel memory: kmem grows its slabs from vmem, which waits
    vmwait = ["swtch+0x141", "cv_wait+0x70", "vmem_xalloc+0x64e", "vmem_alloc+0x14a",
              "segkmem_xalloc+0xb0", "segkmem_alloc_vn+0xcd", "segkmem_alloc+0x24", "vmem_xalloc+0x502",
              "vmem_alloc+0x14a", "kmem_slab_create+0x87", "kmem_slab_alloc+0xbc",
              "kmem_cache_alloc+0x1e8"]
    heap_cv = "0xffffff01d0b10032"
    waiters = [
        s.thread("u", vmwait + ["kmem_zalloc+0x47", "zfs`zfs_znode_alloc+0x42", "zfs`zfs_mknode+0x9d7",
                                "zfs`zfs_create+0x4e0", "fop_create+0xc5", "vn_createat+0x5d4",
                                "vn_openat+0x1f5", "copen+0x435", "openat32+0x1a", SYSCALL],
                 wchan=heap_cv, sobj="cv"),
        s.thread("u", vmwait + ["allocb+0x64", "sockfs`socopyinuio+0x87", "sockfs`so_sendmsg+0x2a1",
                                "sockfs`socket_sendmsg+0x57", "sockfs`sendit+0x180", "send+0x64", SYSCALL],
                 wchan=heap_cv, sobj="cv"),
    ]
    s.proc(2240, "nfsd", "/usr/lib/nfs/nfsd", threads=[waiters[0]], uid=1, start="2011-08-21T07:04:02Z")
    s.proc(3117, "sshd", "/usr/lib/ssh/sshd -R", ppid=301, threads=[waiters[1]], start="2011-09-14T09:12:50Z")
    reboot = s.thread("u", ["vpanic", "panic+0x9c", "kadmin+0x4f1", "uadmin+0x11e", SYSCALL],
                      state="onproc", cpu=2)
    s.onproc(reboot, 2)
    s.proc(3201, "reboot", "reboot -d", ppid=3120, threads=[reboot], start="2011-09-14T09:41:26Z")
    s.proc(3120, "bash", "-bash", ppid=3117, stacks=[["swtch+0x141", "cv_wait_sig_swap_core+0x1b9",
           "cv_wait_sig_swap+0x17", "waitid+0x24e", "waitsys32+0x2f", SYSCALL]])
    s.sobjs.append({"addr": heap_cv, "type": "cv", "name": "kmem_va arena vm_cv"})
    rng = random.Random(83)
    caches = []
    kernel = [t["addr"] for t in s.kthreads]
    for name, size, count, root in LEAK_CACHES:
        allocated = [{"count": count, "root": root, "thread": rng.choice(kernel), "every": 9_000_000_000,
                      "time": 400_000_000_000 + rng.randrange(10**9)}]
        cache: dict = {"name": name, "size": size, "allocated": allocated, "free": count // 7 + 3}
        if name == "kmem_alloc_512":
            # the leak: one status buffer per second since fwmond started,
            # none of them freed, none referenced
            allocated.append({"count": 2_000_000, "stack": status, "thread": mon["addr"],
                              "time": 45_000_000_000, "every": 1_000_000_000})
            cache["fail"] = 1123
            cache["free"] = 0
        if name == "kmem_alloc_64":
            # a handful of real one-off leaks every system has
            allocated.append({"count": 3, "stack": ["genunix`ddi_strdup+0x2a", "acpica`AcpiOsAllocate+0x1c",
                                                    "acpica`AcpiUtAllocate+0x48"],
                              "time": 2_100_000_000})
        caches.append(cache)
    s.write({
        "panic": {"message": "forced crash dump initiated at user request", "cpu": 2,
                  "thread": reboot["addr"], "time": "2011-09-14T09:41:27Z"},
        "globals": {"kmem_flags": "0xf"},
        "kmem": {"caches": caches,
                 "pages": {"physmem": 524288, "total": 524288, "kernel": 462530, "zfs": 0, "anon": 21544,
                           "exec": 3890, "page_cache": 8740, "cachelist": 1312}},
        "modules": [{"id": 0, "name": "unix"}, {"id": 1, "name": "genunix"},
                    {"id": 61, "name": "specfs", "desc": "filesystem for specfs"},
                    {"id": 95, "name": "zfs", "desc": "ZFS storage pool"},
                    {"id": 131, "name": "acmefw", "desc": "ACME firmware control 1.2"}],
        "msgbuf": msgs("2011-08-21T07:02:55Z", ["SunOS Release 5.11 Version joyent_20110727T191049Z 64-bit",
                                                "NOTICE: kmem_flags set to 0xf",
                                                "pseudo-device: acmefw0", "acmefw0 is /pseudo/acmefw@0"]) +
        msgs("2011-09-14T08:55:10Z", ["WARNING: /etc/svc/volatile: File system full, swap space limit exceeded"]) +
        msgs("2011-09-14T09:41:27Z", ["", f"panic[cpu2]/thread={reboot['addr'][2:]}: ",
                                      "forced crash dump initiated at user request", "",
                                      "syncing file systems...", " done",
                                      "dumping to /dev/zvol/dsk/zones/dump, offset 65536, content: kernel"]),
    })


def _kmem_error_lines(path: Path, cache: str) -> list[str]:
    """kmem_error's report of the freed buffer, from the dump as kdb lays it out."""
    from kdb.target.dump.load import load_dump
    from kdb.target.kmem import kmem
    dump = load_dump(str(path))
    c = next(c for c in kmem(dump).caches if c.name == cache)
    i = c.nalloc
    g, _ = c.group_of(i)
    now = 72_418 * 10**9
    delta = now - c.timestamp(i)
    names = []
    for pc in c.stack(i, dump.kmem_pcs.__getitem__):
        sym = dump.symbols.containing(pc)
        names.append(f"{sym.name}+0x{pc - sym.addr:x}")
    slab = c.base + (i // c.per_slab) * c.slabsize
    return [f"buffer={c.buffer(i):x} bufctl={c.bufctl(i):x} cache: {cache}",
            f"previous transaction on buffer {c.buffer(i):x}:",
            f"thread={g.thread:x}  time=T-{delta // 10**9}.{delta % 10**9:09d}  slab={slab:x}  cache: {cache}",
            *names]


def uaf() -> None:
    """A use after free: a NIC driver frees a receive request when the
    receive completes, but its watchdog still holds the pointer and marks
    the request timed out, writing into freed memory. kmem_flags is 0xf, so
    the next allocation of that buffer finds 0xdeadbeef overwritten and
    kmem_error panics the innocent allocator."""
    s = Scenario("uaf", "edge12", 97, ncpu=4, time="2011-10-02T22:17:05Z")
    s.background()
    cache = "kmem_alloc_64"
    victim = s.thread("u", ["vpanic", "panic+0x9c", "kmem_error+0x4b6", "kmem_cache_alloc_debug+0x2b3",
                            "kmem_cache_alloc+0x1e8", "kmem_alloc+0x4b", "zfs`zfs_acl_alloc+0x26",
                            "zfs`zfs_acl_node_read+0x8d", "zfs`zfs_zaccess_aces_check+0x6e",
                            "zfs`zfs_zaccess_common+0x8a", "zfs`zfs_zaccess+0xf4", "zfs`zfs_lookup+0x8c",
                            "fop_lookup+0xa2", "lookuppnvp+0x22e", "lookuppnatcred+0x11b",
                            "lookupnameatcred+0x97", "cstatat_getvp+0x164", "cstatat64_32+0x82",
                            "fstatat64_32+0x43", SYSCALL], state="onproc", cpu=1)
    s.onproc(victim, 1)
    s.proc(5120, "find", "find /export -name *.core", ppid=5101, threads=[victim],
           start="2011-10-02T22:16:40Z")
    s.proc(5101, "bash", "-bash", ppid=301, stacks=[["swtch+0x141", "cv_wait_sig_swap_core+0x1b9",
           "cv_wait_sig_swap+0x17", "waitid+0x24e", "waitsys32+0x2f", SYSCALL]])
    intr = s.kthread(["swtch+0x141", "intr_thread_exit+0x4d", "acmenet`acmenet_intr+0x4e"],
                     start="intr_thread", state="sleep")
    rng = random.Random(97)
    kernel = [t["addr"] for t in s.kthreads]
    caches = []
    for name, size, count, root in LEAK_CACHES:
        c: dict = {"name": name, "size": size, "free": count // 9 + 5,
                   "allocated": [{"count": count // 4, "root": root, "thread": rng.choice(kernel),
                                  "every": 7_000_000_000, "time": 300_000_000_000 + rng.randrange(10**9)}]}
        if name == cache:
            # the receive request acmenet freed at rx completion; its watchdog
            # then set r_state (offset 0x18) to 2, RX_TIMEDOUT
            c["freed"] = [{"count": 1, "thread": intr["addr"], "time": 72_410_812_345_678,
                           "stack": ["acmenet`acmenet_req_free+0x1e", "acmenet`acmenet_rx_done+0x93",
                                     "acmenet`acmenet_intr+0x13c", "av_dispatch_autovect+0x7c",
                                     "dispatch_hardint+0x33"],
                           "written": {"offset": 24, "value": "0xdeadbeef00000002"}}]
        caches.append(c)
    s.write({
        "panic": {"message": "kernel heap corruption detected", "cpu": 1, "thread": victim["addr"],
                  "time": "2011-10-02T22:17:05Z"},
        "globals": {"kmem_flags": "0xf"},
        "kmem": {"caches": caches},
        "modules": [{"id": 0, "name": "unix"}, {"id": 1, "name": "genunix"},
                    {"id": 95, "name": "zfs", "desc": "ZFS storage pool"},
                    {"id": 140, "name": "acmenet", "desc": "ACME 10GbE NIC driver 3.1"}],
        "msgbuf": msgs("2011-09-30T06:00:12Z", ["SunOS Release 5.11 Version joyent_20110727T191049Z 64-bit",
                                                "NOTICE: kmem_flags set to 0xf",
                                                "acmenet0: ACME 10GbE, link up 10000 Mbps full duplex"]) +
        msgs("2011-10-02T22:16:58Z", ["WARNING: acmenet0: rx watchdog: request timed out, resetting ring 3"]) +
        msgs("2011-10-02T22:17:05Z", ["", "kernel memory allocator: buffer modified after being freed",
                                      "modification occurred at offset 0x18 (0xdeadbeefdeadbeef replaced by "
                                      "0xdeadbeef00000002)", "{BUFFER}", "", "",
                                      f"panic[cpu1]/thread={victim['addr'][2:]}: ",
                                      "kernel heap corruption detected", "",
                                      "syncing file systems...", " done",
                                      "dumping to /dev/zvol/dsk/zones/dump, offset 65536, content: kernel"]),
    })
    path = OUT / "uaf.json"
    data = json.loads(path.read_text())
    lines = _kmem_error_lines(path, cache)
    out = []
    for m in data["msgbuf"]:
        if m["text"] == "{BUFFER}\n":
            out += [{"time": m["time"], "text": line + "\n"} for line in lines]
        else:
            out.append(m)
    data["msgbuf"] = out
    path.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    for build in (panic, deadlock, donutshop, rwstarve, nfshang, audioglitch, tqstall, leak, uaf):
        build()
        print(f"built {build.__name__}")
