#!/usr/bin/env python3
"""Build dumps/jurassic.json: the hung boot of the server jurassic (June 2008).

A kmdb stop on CPU 12 of a 16-CPU SunOS 5.11 snv_89 amd64 machine whose
svc:/system/filesystem/root:default start method hangs in devfsadm. The
output is deterministic: run ``python dumps/build_jurassic.py`` after
changing this file and review the diff of the JSON.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

RNG = random.Random(20080616)

BOOT = "2008-06-16T20:41:07Z"
NOW = "2008-06-16T20:58:31Z"

# --------------------------------------------------------------------------
# modules and symbols: (name, size) per function, laid out in order
# --------------------------------------------------------------------------
MODULES = [
    ("unix", 0xFFFFFFFFFB800000, None, [
        ("_resume_from_idle", 0x120), ("resume", 0x100), ("swtch", 0x2a0), ("thread_start", 0x10),
        ("sys_syscall32", 0x220), ("sys_syscall", 0x1e0), ("idle", 0x140), ("i86_mwait", 0x40),
        ("cpu_idle_mwait", 0xd0), ("disp_getwork", 0x1e0), ("kmdb_enter", 0x20), ("cmntrap", 0x140),
        ("trap", 0x3c0), ("panicsys", 0x1b0), ("vpanic", 0x180), ("mutex_enter", 0x60),
        ("mutex_vector_enter", 0x3a0), ("lock_set_spl", 0x90), ("av_dispatch_autovect", 0x80),
        ("intr_thread", 0x100), ("cyclic_softint", 0x190), ("cbe_softclock", 0x20),
        ("page_create_va", 0x420), ("hat_memload", 0x40), ("_sys_rtt", 0x20),
    ]),
    ("genunix", 0xFFFFFFFFFB900000, None, [
        ("sema_p", 0x2c0), ("sema_v", 0xa0), ("cv_wait", 0x80), ("cv_wait_sig", 0x130),
        ("cv_wait_sig_swap", 0x20), ("cv_wait_sig_swap_core", 0x1a0), ("cv_timedwait", 0xb0),
        ("cv_timedwait_sig", 0x120), ("cv_waituntil_sig", 0x140), ("cv_timedwait_hires", 0xf0),
        ("taskq_thread_wait", 0x90), ("taskq_thread", 0x3a0), ("taskq_d_thread", 0x1c0),
        ("hwc_parse", 0xe0), ("hwc_parse_now", 0x1c0), ("add_prop", 0x90), ("make_prop", 0x220),
        ("impl_make_parlist", 0x120), ("i_ddi_load_drvconf", 0xa0), ("modctl_load_drvconf", 0x50),
        ("modctl", 0x200), ("sigsuspend", 0x130), ("door_return", 0x2a0), ("door_unref_server", 0xc0),
        ("lwp_park", 0x100), ("syslwp_park", 0x50), ("pollsys", 0x1c0), ("poll_common", 0x4a0),
        ("nanosleep", 0x180), ("fsflush", 0x2e0), ("pageout", 0x1a0), ("pageout_scanner", 0x200),
        ("mod_uninstall_daemon", 0xa0), ("seg_pasync_thread", 0x100), ("streams_bufcall_service", 0x80),
        ("streams_qbkgrnd_service", 0xa0), ("streams_sqbkgrnd_service", 0xa0), ("sched", 0x300),
        ("thread_reaper", 0x110), ("waitid", 0x1c0), ("waitsys32", 0x30), ("callout_execute", 0x60),
        ("clock", 0x640), ("deadman", 0x180), ("kmem_taskq_thread", 0x30), ("fop_read", 0x60),
        ("read", 0x2c0), ("strread", 0x400), ("strwaitq", 0xc0), ("str_cv_wait", 0x40),
        ("ddi_prop_add", 0xf0), ("door_call", 0x3a0), ("doorfs32", 0xe0), ("sigtimedwait", 0x1b0),
        ("lwp_wait", 0x160), ("kcage_cageout", 0x200), ("task_commit", 0x90), ("exacct_commit_task", 0x40),
        ("cpu_pause", 0xc0), ("audit_svc", 0x30),
    ]),
    ("specfs", 0xFFFFFFFFFBAD2000, "filesystem for specfs", [("spec_open", 0x300)]),
    ("zfs", 0xFFFFFFFFF7A00000, "ZFS storage pool version 10", [
        ("txg_thread_wait", 0x80), ("txg_sync_thread", 0x1b0), ("txg_quiesce_thread", 0x110),
        ("spa_async_thread", 0x1a0), ("zio_wait", 0x70), ("zfs_delete_thread", 0x120),
        ("arc_reclaim_thread", 0x110), ("l2arc_feed_thread", 0x1d0), ("dmu_tx_wait", 0x90),
        ("vdev_disk_io_start", 0x100),
    ]),
    ("rpcmod", 0xFFFFFFFFF7B40000, "rpc interface str mod", [("svc_wait", 0x40), ("svc_do_run", 0x90),
                                                               ("svc_run", 0x190), ("clnt_dispatch_send", 0x1c0)]),
    ("nfssrv", 0xFFFFFFFFF7B90000, "NFS server module", [("nfssys", 0x5e0), ("rfs4_dbe_reap", 0x80)]),
    ("nfs", 0xFFFFFFFFF7BC0000, "network filesystem", [("nfs_async_start", 0x100), ("nfs4_async_start", 0x100)]),
    ("sockfs", 0xFFFFFFFFF7C00000, "filesystem for sockfs", [("sotpi_accept", 0x2a0), ("accept", 0x120),
                                                              ("sosend", 0xa0), ("so_recvmsg", 0x2c0)]),
    ("ip", 0xFFFFFFFFF7C80000, "IP STREAMS module", [("ip_squeue_worker", 0x120), ("squeue_worker", 0x130)]),
    ("sd", 0xFFFFFFFFF7D00000, "SCSI Disk Driver", [("sd_start_cmds", 0x460), ("sdintr", 0x190)]),
    ("mpt", 0xFFFFFFFFF7D80000, "MPT HBA Driver", [("mpt_intr", 0x140), ("mpt_watch", 0x130)]),
    ("e1000g", 0xFFFFFFFFF7E00000, "Intel PRO/1000 Ethernet", [("e1000g_intr", 0x110)]),
    ("ii", 0xFFFFFFFFF7E80000, "Point-in-Time Copy", [("_init", 0x40), ("ii_attach", 0x200)]),
    ("kmdbmod", 0xFFFFFFFFF7F00000, "kernel debugger", [("kctl_wr_thread", 0x90), ("kdi_dvec_enter", 0x40)]),
]

SYMBOLS: dict[str, int] = {}
MODULE_JSON = []
for mid, (name, base, desc, funcs) in enumerate(MODULES):
    addr = base
    syms = []
    for fname, size in funcs:
        syms.append({"name": fname, "addr": f"0x{addr:x}", "size": size})
        SYMBOLS[fname] = addr
        addr += (size + 0xF) & ~0xF
    text_size = addr - base
    MODULE_JSON.append({"id": mid, "name": name, "text": f"0x{base:x}", "text_size": text_size,
                        "data_size": (text_size // 3) & ~0xFFF or 0x1000, "rev": 1,
                        "desc": desc, "symbols": syms})
# a few objects, for ::nm and ::whatis
# (the kernel's well-known variables, panic_thread, devnamesp, cpus..., are
# kdb's: kdb.target.globals places them where mdb reads them)
for name, obj_name, size in (("genunix", "ddi_prop_debug_flag", 4),):
    mod = next(m for m in MODULE_JSON if m["name"] == name)
    last = mod["symbols"][-1]
    a = int(last["addr"], 16) + 0x10000 + len(mod["symbols"]) * 0x40
    mod["symbols"].append({"name": obj_name, "addr": f"0x{a:x}", "size": size, "kind": "object"})

NCPU = 16
CPU_ADDRS = [0xFFFFFFFFFBC4F0C0] + [0xFFFFFF0933F5E000 + 0x1000 * 0x0d * i for i in range(1, NCPU)]


def hx(v: int) -> str:
    return f"0x{v:x}"


# --------------------------------------------------------------------------
# processes and threads
# --------------------------------------------------------------------------
procs: list[dict] = []
sobjs: list[dict] = []
cpu_thread: dict[int, int] = {}
idle_threads: dict[int, int] = {}

KT_BASE = 0xFFFFFF0007805C40


def kthread(i: int, stack: list[str], *, state: str = "sleep", name: str | None = None,
            start: str | None = None, wchan: int | None = None, sobj: str | None = None,
            pri: int = 60, cpu: int | None = None) -> dict:
    addr = KT_BASE + i * 0x6000
    t: dict = {"addr": hx(addr), "state": state, "pri": pri, "flags": 0x8, "sp": hx(addr - 0x1C0),
               "stack": stack}
    if name:
        t["name"] = name
    if start:
        t["start"] = start
    if wchan is not None:
        t["wchan"] = hx(wchan)
        t["sobj"] = {"type": sobj or "cv", "addr": hx(wchan)}
    t["cpu"] = cpu if cpu is not None else RNG.randrange(NCPU)
    return t


sched_threads = []
ki = 0
# idle threads, one per CPU: on their CPU unless the CPU runs something else
for c in range(NCPU):
    t = kthread(ki, ["idle+0x" + format(RNG.choice([0x102, 0x114]), "x"), "thread_start+8"],
                state="onproc" if c not in (3, 12) else "run", start="idle", pri=-1, cpu=c)
    t["resume"] = "swtch+0x16d" if c in (3, 12) else None
    if t["resume"] is None:
        del t["resume"]
    idle_threads[c] = int(t["addr"], 16)
    sched_threads.append(t)
    ki += 1

TASKQS = ["system_taskq", "kmem_taskq", "callout_taskq", "ddi_periodic_taskq", "console_taskq",
          "zil_clean", "zio_null_issue", "zio_read_intr", "zio_write_issue", "zio_write_intr",
          "zio_free_issue", "zio_ioctl_issue", "spa_zio", "dbu_evict", "sdmirror_taskq", "mpt_nexus_enum_tq",
          "ip_squeue_taskq", "nfs4_async_taskq", "acpi_taskq", "USB_ehci_0_pipehndl_tq_0"]
cv_base = 0xFFFFFF0931A10000
for n in range(150):
    tq = TASKQS[n % len(TASKQS)]
    cv = cv_base + (n % len(TASKQS)) * 0x100 + 0x30     # &tq->tq_dispatch_cv (taskq_t: 0xe8 bytes)
    sched_threads.append(kthread(ki, ["swtch+0x221", "cv_wait+0x61",
                                      "taskq_thread_wait+0x84", "taskq_thread+0x2d1", "thread_start+8"],
                                 name=f"tq:{tq}", start="taskq_thread", wchan=cv))
    ki += 1
for n in range(24):
    cv = 0xFFFFFF0931A20000 + 0x40 * (n % 6)
    sched_threads.append(kthread(ki, ["swtch+0x221", "cv_wait+0x61", "taskq_d_thread+0x10a",
                                      "thread_start+8"], start="taskq_d_thread", wchan=cv))
    ki += 1
ZFS = [
    (["swtch+0x221", "cv_timedwait+0x61", "txg_thread_wait+0x7c", "txg_sync_thread+0x16f", "thread_start+8"], "txg_sync_thread", 1),
    (["swtch+0x221", "cv_wait+0x61", "txg_thread_wait+0x5f", "txg_quiesce_thread+0xeb", "thread_start+8"], "txg_quiesce_thread", 1),
    (["swtch+0x221", "cv_wait+0x61", "spa_async_thread+0x121", "thread_start+8"], "spa_async_thread", 1),
    (["swtch+0x221", "cv_timedwait+0x61", "arc_reclaim_thread+0xf5", "thread_start+8"], "arc_reclaim_thread", 1),
    (["swtch+0x221", "cv_timedwait+0x61", "l2arc_feed_thread+0xa6", "thread_start+8"], "l2arc_feed_thread", 1),
    (["swtch+0x221", "cv_wait+0x61", "zfs_delete_thread+0xa9", "thread_start+8"], "zfs_delete_thread", 2),
]
for stack, start, n in ZFS:
    for _ in range(n):
        sched_threads.append(kthread(ki, stack, start=start, wchan=0xFFFFFF0931B00000 + ki * 0x20))
        ki += 1
MISC = [
    (["swtch+0x221", "cv_wait+0x61", "mod_uninstall_daemon+0x4b", "thread_start+8"], "mod_uninstall_daemon", 1, "cv"),
    (["swtch+0x221", "cv_wait+0x61", "seg_pasync_thread+0xd1", "thread_start+8"], "seg_pasync_thread", 1, "cv"),
    (["swtch+0x221", "cv_wait+0x61", "streams_bufcall_service+0x6d", "thread_start+8"], "streams_bufcall_service", 1, "cv"),
    (["swtch+0x221", "cv_wait+0x61", "streams_qbkgrnd_service+0x54", "thread_start+8"], "streams_qbkgrnd_service", 1, "cv"),
    (["swtch+0x221", "cv_wait+0x61", "streams_sqbkgrnd_service+0x54", "thread_start+8"], "streams_sqbkgrnd_service", 1, "cv"),
    (["swtch+0x221", "cv_wait+0x61", "thread_reaper+0xac", "thread_start+8"], "thread_reaper", 1, "cv"),
    (["swtch+0x221", "cv_timedwait+0x61", "kcage_cageout+0x1bd", "thread_start+8"], "kcage_cageout", 1, "cv"),
    (["swtch+0x221", "cv_wait+0x61", "squeue_worker+0x104", "thread_start+8"], "squeue_worker", 16, "cv"),
    (["swtch+0x221", "cv_timedwait+0x61", "mpt_watch+0x7e", "thread_start+8"], "mpt_watch", 1, "cv"),
    (["swtch+0x221", "cv_wait+0x61", "kctl_wr_thread+0x6a", "thread_start+8"], "kctl_wr_thread", 1, "cv"),
    (["swtch+0x221", "cv_wait+0x61", "nfs4_async_start+0x52", "thread_start+8"], "nfs4_async_start", 2, "cv"),
]
for stack, start, n, kind in MISC:
    for _ in range(n):
        sched_threads.append(kthread(ki, stack, start=start, wchan=0xFFFFFF0931C00000 + ki * 0x20, sobj=kind))
        ki += 1
# interrupt threads, pinned and idle
for c in range(NCPU):
    for pil in (9, 10):
        t = kthread(ki, ["intr_thread+0xc3"], state="free", start="intr_thread", pri=100 + pil, cpu=c)
        t["pil"] = pil
        t["flags"] = 0x9
        sched_threads.append(t)
        ki += 1

sched = {"addr": "0xfffffffffbc28c30", "pid": 0, "comm": "sched", "psargs": "sched", "flags": 0x1,
         "state": "run", "start": BOOT, "threads": [sched_threads[0]] + sched_threads[1:]}
procs.append(sched)

# pageout and fsflush are processes made by newproc(), each thread with its
# klwp_t; pageout's scanner is a thread_create()d thread without one
pageout_t = {"addr": "0xffffff0007b4ac40", "state": "sleep", "pri": 97, "flags": 0x8, "lwp": "0xffffff0934fe1b40", "tid": 1,
             "sp": "0xffffff0007b4aa80", "start": "pageout", "cpu": 0,
             "wchan": "0xfffffffffbc7a1c0", "sobj": {"type": "cv", "addr": "0xfffffffffbc7a1c0"},
             "stack": ["swtch+0x221", "cv_wait+0x61", "pageout+0x16a", "thread_start+8"]}
pageout_t2 = {"addr": "0xffffff0007b44c40", "state": "sleep", "pri": 98, "flags": 0x8,
              "sp": "0xffffff0007b44a80", "start": "pageout_scanner", "cpu": 1,
              "wchan": "0xfffffffffbc7a1c2", "sobj": {"type": "cv", "addr": "0xfffffffffbc7a1c2"},
              "stack": ["swtch+0x221", "cv_wait+0x61", "pageout_scanner+0x188", "thread_start+8"]}
procs.append({"addr": "0xffffff0934fe0020", "pid": 2, "ppid": 0, "pgid": 0, "sid": 0, "comm": "pageout",
              "flags": 0x42000001, "start": BOOT, "threads": [pageout_t, pageout_t2]})
fsflush_t = {"addr": "0xffffff0007b50c40", "state": "sleep", "pri": 60, "flags": 0x8, "lwp": "0xffffff0934fdd480", "tid": 1,
             "sp": "0xffffff0007b50a80", "start": "fsflush", "cpu": 2,
             "wchan": "0xfffffffffbc7a214", "sobj": {"type": "cv", "addr": "0xfffffffffbc7a214"},
             "stack": ["swtch+0x221", "cv_wait+0x61", "fsflush+0x21b", "thread_start+8"]}
procs.append({"addr": "0xffffff0934fdc028", "pid": 3, "ppid": 0, "pgid": 0, "sid": 0, "comm": "fsflush",
              "flags": 0x42000001, "start": BOOT, "threads": [fsflush_t]})

user_addr = 0xFFFFFF0934C9A000
uthread_addr = 0xFFFFFF0934A10000


def uproc(pid: int, comm: str, psargs: str, nthreads: int, stacks: list[list], *, ppid: int = 1,
          uid: int = 0, service: str | None = None, start: str = BOOT, zone: int = 0,
          flags: int = 0x4A004000, pgid: int | None = None, sid: int | None = None) -> dict:
    global user_addr, uthread_addr
    user_addr += 0x1A48
    threads = []
    for t in range(nthreads):
        uthread_addr += 0x6A0 + RNG.randrange(0x10) * 0x20
        stack = stacks[t % len(stacks)]
        wch = 0xFFFFFF0935000000 + pid * 0x100 + t * 0x10
        sp = 0xFFFFFF003C000000 + ((pid * 0x3B + t) % 0x4000) * 0x1000 + 0xC80
        thr = {"addr": hx(uthread_addr), "tid": t + 1, "lwp": hx(uthread_addr + 0x30000000 - 0x10),
               "state": "sleep", "pri": RNG.choice([59, 59, 59, 60, 1]), "flags": 0x1000,
               "cpu": RNG.randrange(NCPU), "sp": hx(sp), "stack": stack,
               "wchan": hx(wch), "sobj": {"type": "cv", "addr": hx(wch)}}
        threads.append(thr)
    p = {"addr": hx(user_addr), "pid": pid, "ppid": ppid, "pgid": pgid if pgid is not None else pid,
         "sid": sid if sid is not None else pid, "uid": uid, "gid": 0 if uid == 0 else 1,
         "comm": comm, "psargs": psargs, "flags": flags, "start": start, "zone": zone,
         "task": 0 if pid < 10 else RNG.randrange(20, 90), "project": 0 if uid == 0 else 3,
         "threads": threads}
    if service:
        p["service"] = service
    procs.append(p)
    return p


SYSCALL = "sys_syscall32+0x1fc"
SYSCALL64 = "sys_syscall+0x17b"
STACK_SIGSUSPEND = ["swtch+0x221", "cv_wait_sig_swap_core+0x174", "cv_wait_sig_swap+0x18", "sigsuspend+0x101", SYSCALL]
STACK_DOOR = ["swtch+0x221", "cv_wait_sig_swap_core+0x174", "cv_wait_sig_swap+0x18", "door_return+0x216", "doorfs32+0xbd", SYSCALL]
STACK_PARK = ["swtch+0x221", "cv_wait_sig_swap_core+0x174", "cv_wait_sig_swap+0x18", "lwp_park+0xe6", "syslwp_park+0x3f", SYSCALL]
STACK_POLL = ["swtch+0x221", "cv_timedwait_sig+0xc9", "cv_waituntil_sig+0x114", "poll_common+0x44a", "pollsys+0xe4", SYSCALL]
STACK_WAIT = ["swtch+0x221", "cv_wait_sig_swap_core+0x174", "cv_wait_sig_swap+0x18", "waitid+0x152", "waitsys32+0x12", SYSCALL]
STACK_NANO = ["swtch+0x221", "cv_timedwait_sig+0xc9", "cv_waituntil_sig+0x114", "nanosleep+0x15c", SYSCALL]
STACK_SIGTIMED = ["swtch+0x221", "cv_timedwait_sig+0xc9", "cv_waituntil_sig+0x114", "sigtimedwait+0x198", SYSCALL]
STACK_NFSD = ["swtch+0x221", "cv_wait_sig+0x126", "svc_wait+0x3c", "svc_do_run+0x7b", "nfssys+0x5ba", SYSCALL]
STACK_ACCEPT = ["swtch+0x221", "cv_wait_sig+0x126", "sotpi_accept+0x217", "accept+0x10a", SYSCALL]

RUNTIME = "svc:/system/svc/restarter:default"
uproc(1, "init", "/sbin/init", 1, [STACK_SIGSUSPEND], ppid=0, flags=0x4A004000)
uproc(7, "svc.startd", "/lib/svc/bin/svc.startd", 13,
      [STACK_PARK, STACK_DOOR, STACK_PARK, STACK_SIGTIMED, STACK_WAIT], service=RUNTIME)
uproc(9, "svc.configd", "/lib/svc/bin/svc.configd", 17, [STACK_DOOR, STACK_DOOR, STACK_PARK],
      ppid=7, service="svc:/system/svc/global:default", pgid=7, sid=7)
uproc(61, "syseventd", "/usr/lib/sysevent/syseventd", 15, [STACK_DOOR, STACK_PARK],
      service="svc:/system/sysevent:default")
uproc(104, "nscd", "/usr/sbin/nscd", 24, [STACK_DOOR, STACK_PARK, STACK_NANO],
      service="svc:/system/name-service-cache:default", uid=0)
uproc(117, "syslogd", "/usr/sbin/syslogd", 11, [STACK_DOOR, STACK_POLL, STACK_PARK],
      service="svc:/system/system-log:default")
uproc(131, "utmpd", "/usr/lib/utmpd", 1, [STACK_POLL], service="svc:/system/utmp:default")
uproc(139, "sshd", "/usr/lib/ssh/sshd", 1, [STACK_POLL], service="svc:/network/ssh:default")
uproc(148, "rpcbind", "/usr/sbin/rpcbind", 1, [STACK_POLL], service="svc:/network/rpc/bind:default", uid=1)
uproc(163, "sendmail", "/usr/lib/sendmail -bd -q15m", 1, [STACK_POLL],
      service="svc:/network/smtp:sendmail")
uproc(164, "sendmail", "/usr/lib/sendmail -Ac -q15m", 1, [STACK_NANO],
      service="svc:/network/smtp:sendmail", uid=25)
uproc(176, "mountd", "/usr/lib/nfs/mountd", 7, [STACK_POLL, STACK_DOOR, STACK_PARK],
      service="svc:/network/nfs/server:default")
uproc(178, "nfsd", "/usr/lib/nfs/nfsd", 32, [STACK_NFSD, STACK_NFSD, STACK_NFSD, STACK_PARK],
      service="svc:/network/nfs/server:default", uid=1)
uproc(183, "lockd", "/usr/lib/nfs/lockd", 3, [STACK_NFSD, STACK_PARK], service="svc:/network/nfs/nlockmgr:default", uid=1)
uproc(185, "statd", "/usr/lib/nfs/statd", 2, [STACK_POLL, STACK_PARK], service="svc:/network/nfs/status:default", uid=1)
uproc(192, "imapd", "/usr/local/sbin/imapd -d", 1, [STACK_ACCEPT], service="svc:/site/imap:default")
uproc(194, "automountd", "/usr/lib/autofs/automountd", 2, [STACK_WAIT, STACK_DOOR], ppid=1,
      service="svc:/system/filesystem/autofs:default")
uproc(195, "automountd", "/usr/lib/autofs/automountd", 14, [STACK_DOOR, STACK_PARK], ppid=194,
      service="svc:/system/filesystem/autofs:default", pgid=194, sid=194)
uproc(207, "fmd", "/usr/lib/fm/fmd/fmd", 28, [STACK_DOOR, STACK_PARK, STACK_NANO],
      service="svc:/system/fmd:default")
uproc(219, "sh", "/sbin/sh /lib/svc/method/svc-zones start", 1, [STACK_WAIT], ppid=7,
      service="svc:/system/zones:default", pgid=219, sid=219)

# the three devfsadm processes (one per start-method attempt, each orphaned
# when SMF killed the method's contract), all started by filesystem/root
ROOTFS = "svc:/system/filesystem/root:default"
SEMA = 0xFFFFFF0935930648
DEVFSADM = [
    (100015, "2008-06-16T20:42:31Z", 0xFFFFFF0934C5E388, 0xFFFFFF0934CBCE20, 0xFFFFFF093592A0B0),
    (100050, "2008-06-16T20:47:33Z", 0xFFFFFF0935F2D010, 0xFFFFFF0935E07720, 0xFFFFFF0935E6A3F8),
    (100054, "2008-06-16T20:52:36Z", 0xFFFFFF0936004A28, 0xFFFFFF0935FE1B40, 0xFFFFFF0935F6E008),
]
for n, (pid, started, paddr, taddr, lwp) in enumerate(DEVFSADM):
    if n == 0:
        thread = {
            "addr": hx(taddr), "tid": 1, "lwp": hx(lwp), "state": "sleep", "pri": 59, "cpu": 5,
            "flags": 0x1000, "wchan": hx(SEMA), "sobj": {"type": "sema", "addr": hx(SEMA)},
            "sp": "0xffffff003c57dc80",
            "stack": [
                {"pc": "swtch+0x221", "fp": "0xffffff003c57dcc0"},
                {"pc": "sema_p+0x26f", "fp": "0xffffff003c57dd00", "args": [hx(SEMA)]},
                {"pc": "hwc_parse+0x88", "fp": "0xffffff003c57dd60",
                 "args": ["0xffffff09357aeb80", "0xffffff003c57dd90", "0xffffff003c57dd88"]},
                {"pc": "impl_make_parlist+0xab", "fp": "0xffffff003c57ddb0", "args": ["0xe4"]},
                {"pc": "i_ddi_load_drvconf+0x72", "fp": "0xffffff003c57de00", "args": ["0xffffffff"]},
                {"pc": "modctl_load_drvconf+0x37", "fp": "0xffffff003c57de30", "args": ["0xffffffff"]},
                {"pc": "modctl+0x1ba", "fp": "0xffffff003c57deb0",
                 "args": ["0x12", "0xffffffff", "0x3", "0x8079000", "0x8047e14", "0x0"]},
                {"pc": "sys_syscall32+0x1fc", "fp": "0xffffff003c57df00"},
            ]}
    elif n == 1:
        thread = {
            "addr": hx(taddr), "tid": 1, "lwp": hx(lwp), "state": "sleep", "pri": 59, "cpu": 9,
            "flags": 0x1000, "wchan": hx(SEMA), "sobj": {"type": "sema", "addr": hx(SEMA)},
            "sp": "0xffffff003d1e9c80",
            "stack": [
                {"pc": "swtch+0x221", "fp": "0xffffff003d1e9cc0"},
                {"pc": "sema_p+0x26f", "fp": "0xffffff003d1e9d00", "args": [hx(SEMA)]},
                {"pc": "hwc_parse+0x88", "fp": "0xffffff003d1e9d60",
                 "args": ["0xffffff0936a10d40", "0xffffff003d1e9d90", "0xffffff003d1e9d88"]},
                {"pc": "impl_make_parlist+0xab", "fp": "0xffffff003d1e9db0", "args": ["0xe4"]},
                {"pc": "i_ddi_load_drvconf+0x72", "fp": "0xffffff003d1e9e00", "args": ["0xffffffff"]},
                {"pc": "modctl_load_drvconf+0x37", "fp": "0xffffff003d1e9e30", "args": ["0xffffffff"]},
                {"pc": "modctl+0x1ba", "fp": "0xffffff003d1e9eb0",
                 "args": ["0x12", "0xffffffff", "0x3", "0x8079000", "0x8047e14", "0x0"]},
                {"pc": "sys_syscall32+0x1fc", "fp": "0xffffff003d1e9f00"},
            ]}
    else:
        # the one that got the semaphore first (the first attempt's), still
        # appending ii_bitmap=1 to the end of ii's property list, on CPU 3
        thread = {
            "addr": hx(taddr), "tid": 1, "lwp": hx(lwp), "state": "onproc", "pri": 59, "cpu": 3,
            "flags": 0x1000, "sp": "0xffffff003d5a7b10",
            "resume": "swtch+0x16d",
            "stack": [
                {"pc": "add_prop+0x5b", "fp": "0xffffff003d5a7b50",
                 "args": ["0xffffff0998c0e280", "0xffffff09a1f3c7d8"]},
                {"pc": "make_prop+0x1f1", "fp": "0xffffff003d5a7bd0",
                 "args": ["0xffffff0936b2e000", "0xffffff09a1f3c7d8", "0xffffff0945ab4010", "0x1"]},
                {"pc": "hwc_parse_now+0x16f", "fp": "0xffffff003d5a7c80",
                 "args": ["0xffffff0936b2e000", "0xffffff003d5a7d90", "0xffffff003d5a7d88"]},
                {"pc": "hwc_parse+0x9f", "fp": "0xffffff003d5a7d60",
                 "args": ["0xffffff0936b31900", "0xffffff003d5a7d90", "0xffffff003d5a7d88"]},
                {"pc": "impl_make_parlist+0xab", "fp": "0xffffff003d5a7db0", "args": ["0xe4"]},
                {"pc": "i_ddi_load_drvconf+0x72", "fp": "0xffffff003d5a7e00", "args": ["0xffffffff"]},
                {"pc": "modctl_load_drvconf+0x37", "fp": "0xffffff003d5a7e30", "args": ["0xffffffff"]},
                {"pc": "modctl+0x1ba", "fp": "0xffffff003d5a7eb0",
                 "args": ["0x12", "0xffffffff", "0x3", "0x8079000", "0x8047e14", "0x0"]},
                {"pc": "sys_syscall32+0x1fc", "fp": "0xffffff003d5a7f00"},
            ]}
        cpu_thread[3] = taddr
    procs.append({"addr": hx(paddr), "pid": pid, "ppid": 1, "pgid": pid, "sid": pid, "uid": 0, "gid": 0,
                  "flags": 0x42004000, "comm": "devfsadm", "psargs": "/usr/sbin/devfsadm -I -P",
                  "service": ROOTFS, "start": started, "task": 31 + n, "threads": [thread]})

# the zone's zsched: donutshop is readied, its processes not yet started
procs.append({"addr": "0xffffff0936117a40", "pid": 100057, "ppid": 0, "pgid": 0, "sid": 0,
              "comm": "zsched", "psargs": "zsched", "zone": "donutshop", "flags": 0x2000001,
              "start": "2008-06-16T20:55:02Z", "task": 51,
              "threads": [{"addr": "0xffffff0936204c20", "state": "sleep", "pri": 60, "cpu": 7,
                           "sp": "0xffffff003dc3cb90", "start": "sched",
                           "wchan": "0xffffff0936117b58",
                           "sobj": {"type": "cv", "addr": "0xffffff0936117b58"},
                           "stack": ["swtch+0x221", "cv_wait+0x61", "sched+0x2b4", "thread_start+8"]}]})

# kmdb's own stop: CPU 12 runs the thread that dropped into the debugger
cpu_thread[12] = idle_threads[12]

# --------------------------------------------------------------------------
# CPUs
# --------------------------------------------------------------------------
cpus = []
for c in range(NCPU):
    on = cpu_thread.get(c, idle_threads[c])
    busy = c in cpu_thread and c != 12
    cpus.append({
        "id": c, "addr": hx(CPU_ADDRS[c]), "flags": 0x1B,
        "thread": hx(on), "idle_thread": hx(idle_threads[c]),
        "pri": 59 if busy else -1, "nrun": 0, "bspl": 0,
        "runrun": False, "kprunrun": False,
        "switch_ticks": None if busy else RNG.randrange(1, 40),
        "state": ["running", "ready", "exists", "enable"],
    })
cpus[3]["switch_ticks"] = 99473   # running devfsadm since it took the CPU


def _sym(name: str) -> int:
    return next(int(x["addr"], 16) for m in MODULE_JSON for x in m["symbols"] if x["name"] == name)


def _regs(rip: int, rsp: int, rbp: int, cpu: int, **more: int) -> dict:
    """A register set as kaif saves it on entry to kmdb (amd64, $r's order);
    %gs base is the CPU's cpu_t, as in the kernel."""
    r = {"rdi": 0, "rsi": 0, "rdx": 0, "rcx": 0, "r8": 0, "r9": 0, "rax": 0, "rbx": 0, "rbp": rbp,
         "r10": 0, "r11": 0, "r12": 0, "r13": 0, "r14": 0, "r15": 0, "fsbase": 0,
         "gsbase": CPU_ADDRS[cpu], "ds": 0x4b, "es": 0x4b, "fs": 0, "gs": 0x1c3, "trapno": 0, "err": 0,
         "rip": rip, "cs": 0x30, "rflags": 0x46, "rsp": rsp, "ss": 0x38}
    r.update(more)
    return {k: hx(v) for k, v in r.items()}


# the registers each CPU saved entering kmdb: the master (12) in kmdb_enter,
# called from its idle loop by the console's abort sequence; CPU 3 where the
# cross-call found devfsadm, in add_prop walking the property list
cpus[12]["registers"] = _regs(_sym("kmdb_enter") + 0xB, 0xFFFFFF000784DA40, 0xFFFFFF000784DA70, 12,
                              trapno=0x3)
cpus[3]["registers"] = _regs(_sym("add_prop") + 0x5B, 0xFFFFFF003D5A7B10, 0xFFFFFF003D5A7B50, 3,
                             rdi=0xFFFFFF0998C0E280, rsi=0xFFFFFF09A1F3C7D8, rflags=0x282)

# --------------------------------------------------------------------------
# synchronisation objects
# --------------------------------------------------------------------------
sobjs.append({"addr": hx(SEMA), "type": "sema", "name": "hwc_parse_mutex", "count": 0})
sobjs.append({"addr": "0xfffffffffbc59e10", "type": "mutex", "name": "mod_lock", "kind": "adaptive",
              "owner": None})
sobjs.append({"addr": "0xffffff0936b31928", "type": "mutex", "name": "dn_lock", "kind": "adaptive",
              "owner": hx(DEVFSADM[2][3])})
sobjs.append({"addr": "0xfffffffffbc4f2a0", "type": "mutex", "name": "cpu_lock", "kind": "adaptive",
              "owner": None})
sobjs.append({"addr": "0xffffff0931a0c000", "type": "mutex", "name": "cp_default.cp_lock", "kind": "spin",
              "owner": None, "minspl": 10, "oldspl": 0})
sobjs.append({"addr": "0xfffffffffbc5b6e8", "type": "rwlock", "name": "devinfo_tree_lock", "writer": None,
              "readers": 2, "write_wanted": False})
sobjs.append({"addr": "0xffffff0935a11040", "type": "rwlock", "name": "ii_conf_rwlock",
              "writer": hx(DEVFSADM[2][3]), "readers": 0, "write_wanted": False})
for i, tq in enumerate(TASKQS):
    sobjs.append({"addr": hx(cv_base + i * 0x100 + 0x30), "type": "cv", "name": f"{tq}.tq_dispatch_cv"})

# --------------------------------------------------------------------------
# drivers: name_to_major, and ii's pathological global property list
# --------------------------------------------------------------------------
DRIVERS = """cn rootnex pseudo ip logindmux icmp fas hme pcmcia ptm pts ptc ptsl bwtwo audio
sad sd st conskbd kb wc consms iwscn Hi cgsix ata ohci tcp cgthree uhci ehci le ledma
openeepr cgfourteen ses sbpro fdc bpp ecpp sbusmem mic zs zsh ccid dad atapi sysmsg clone
sy sdbc rdc rdcsrv rdcstub sv nsctl ii nskern svm pm vol lofi usbprn qlc fp fcp ssd
ncall nca ipsecah ipsecesp keysock spdsock udp udp6 tcp6 icmp6 ip6 arp random nge bge e1000g
rge xge mpt glm uata pci_pci pcie_pci pcieb npe isa asy ecpp1 lp pcn elxl iprb dnet
cpudrv acpi_drv zfs zvol fssnap winlock vni devinfo options poll ksyms md tl tnf tnfctr
rts dld aggr softmac vnic simnet sppp sppptun llc1 dump cpc cryptoadm crypto dca ipf pfil
sdt fbt lockstat profile fasttrap dtrace systrace xsvc ucode ntwdt kssl signalfd power mm
log sysevent bmc amd_iommu smbios cmlb physmem rsm dtracemem hook neti mac sdp rds ib
ibd usb_ac usb_as hid hubd scsa2usb usbser_edge usb_mid usbsacm usbsprl ugen ehci2 sgen
lx_systrace lx_ptm lx_audio lx_netlink nvidia drm i915 radeon pcic stp4020 pcser pcram pem
pcata fcip fcsm fcoe emlxs oce nxge ixgbe igb e1000 bnx bnxe myri10ge tavor hermon daplt
nv_sata ahci si3124 marvell88sx mega_sas cpqary3 aac arcmsr smcp iwh iwk ipw wpi ath ral
rum ural urtw zyd uath arn atu pcwl pcan afe mxfe dmfe rtls sfe yge elxl2 ixgb vr efe
scsi_vhci""".split()
majors = []
num = 0
for name in DRIVERS:
    if num == 0xE4:
        num += 1
    if name == "ii":
        continue
    majors.append({"major": num, "name": name})
    num += 1
majors.append({"major": 0xE4, "name": "ii", "props": [
    {"name": "ii_debug", "value": 0},
    {"name": "ii_bitmap", "value": 1},
    {"name": "ii_throttle_unit", "value": 8},
    {"name": "ii_throttle_delay", "value": 10},
    {"name": "ii_copy_direct", "value": 1},
    {"name": "ii_bitmap", "value": 1, "repeat": 262144},
]})
majors.sort(key=lambda m: m["major"])
for m in majors:
    if m["name"] == "sd":
        m["props"] = [{"name": "sd-config-list", "value": ["SEAGATE ST373207LC", "seagate-data"]},
                      {"name": "sd_retry_on_reservation_conflict", "value": 1}]
    if m["name"] == "e1000g":
        m["props"] = [{"name": "MaxFrameSize", "value": [0, 0, 0, 0]}]

# --------------------------------------------------------------------------
# device tree
# --------------------------------------------------------------------------
dev_addr = 0xFFFFFF0930A4E000


def dev(name, driver=None, instance=-1, state="attached", children=(), props=None):
    global dev_addr
    dev_addr += 0x2D8 * 3
    n = {"addr": hx(dev_addr), "name": name, "instance": instance, "state": state,
         "children": list(children)}
    if driver:
        n["driver"] = driver
        n["major"] = next(m["major"] for m in majors if m["name"] == driver)
    if props:
        n["props"] = props
    return n


disks = [dev("sd", "sd", i, "attached" if i not in (2, 5) else "offline",
             props={"target": i, "lun": 0, "inquiry-vendor-id": "SEAGATE",
                    "inquiry-product-id": "ST373207LC"}) for i in range(8)]
root = dev("i86pc", "rootnex", 0, children=[
    dev("scsi_vhci", "scsi_vhci", 0, "attached"),
    dev("isa", "isa", 0, children=[dev("asy", "asy", 0), dev("lp", "lp", 0, "initialized")]),
    dev("pci", "npe", 0, children=[
        dev("pci1022,7450", "pcieb", 0, children=[
            dev("pci1000,3060", "mpt", 0, children=disks),
            dev("pci8086,1010", "e1000g", 0, props={"MaxFrameSize": 0}),
            dev("pci8086,1010", "e1000g", 1),
        ]),
        dev("pci108e,5344", "ehci", 0),
        dev("pci-ide", None, -1, "initialized", children=[
            dev("ide", "ata", 0, children=[dev("sd", "sd", 8)])]),
    ]),
    dev("pseudo", "pseudo", 0, children=[
        dev("devinfo", "devinfo", 0), dev("ii", "ii", 0, "initialized"),
        dev("zfs", "zfs", 0), dev("lofi", "lofi", 0, "initialized"), dev("random", "random", 0),
        dev("ksyms", "ksyms", 0, "initialized"), dev("sysmsg", "sysmsg", 0), dev("dtrace", "dtrace", 0),
    ]),
    dev("cpus", None, -1, "initialized", children=[dev("cpu", "cpudrv", i) for i in range(NCPU)]),
])

# --------------------------------------------------------------------------
# message buffer
# --------------------------------------------------------------------------
def t(offset: int) -> str:
    base = 20 * 3600 + 41 * 60 + 7 + offset
    return f"2008-06-16T{base // 3600:02d}:{base // 60 % 60:02d}:{base % 60:02d}Z"


DISK1 = "/pci@0,0/pci1022,7450@2/pci1000,3060@3/sd@2,0 (sd2)"
DISK2 = "/pci@0,0/pci1022,7450@2/pci1000,3060@3/sd@5,0 (sd5)"
msgbuf = [
    {"time": t(0), "text": "SunOS Release 5.11 Version snv_89 64-bit\n"},
    {"time": t(0), "text": "Copyright 1983-2008 Sun Microsystems, Inc.  All rights reserved.\n"},
    {"time": t(0), "text": "Use is subject to license terms.\n"},
    {"time": t(0), "text": "x86_feature: lgpg\n"},
    {"time": t(0), "text": "x86_feature: tsc\n"},
    {"time": t(0), "text": "x86_feature: msr\n"},
    {"time": t(0), "text": "x86_feature: mtrr\n"},
    {"time": t(0), "text": "mem = 16776748K (0x3fff4b000)\n"},
    {"time": t(1), "text": "Loading kmdb...\n"},
    {"time": t(2), "text": "pseudo-device: ii0\n"},
    {"time": t(2), "text": "ii0 is /pseudo/ii@0\n"},
    {"time": t(5), "text": "mpt0 at pcieb0: pciex1000,58 pci1000,3060\n"},
    {"time": t(7), "text": "sd2 at mpt0: target 2 lun 0\n"},
    {"time": t(12), "text": f"WARNING: {DISK1}:\n"},
    {"time": t(12), "text": "\tdrive offline\n"},
    {"time": t(14), "text": f"WARNING: {DISK2}:\n"},
    {"time": t(14), "text": "\tSCSI transport failed: reason 'timeout': giving up\n"},
    {"time": t(15), "text": f"WARNING: {DISK2}:\n"},
    {"time": t(15), "text": "\tdrive offline\n"},
    {"time": t(17), "text": "NOTICE: e1000g0 registered\n"},
    {"time": t(18), "text": "NOTICE: e1000g0 link up, 1000 Mbps, full duplex\n"},
    {"time": t(19), "text": "cpu1: x86 (chipid 0x0 AuthenticAMD 40F13 family 15 model 65 step 3 clock 2593 MHz)\n"},
    {"time": t(19), "text": "cpu1: Dual-Core AMD Opteron(tm) Processor 8218\n"},
    {"time": t(20), "text": "Hostname: jurassic\n"},
    {"time": t(81), "text": "NOTICE: ZFS pool 'jurassic-pool': 2 devices are faulted; pool is DEGRADED\n"},
    {"time": t(386), "text": "svc.startd[7]: svc:/system/filesystem/root:default: Method or service exit timed out.  Killing contract 31.\n"},
    {"time": t(386), "text": "svc.startd[7]: svc:/system/filesystem/root:default: Method \"/lib/svc/method/fs-root\" failed due to signal KILL.\n"},
    {"time": t(688), "text": "svc.startd[7]: svc:/system/filesystem/root:default: Method or service exit timed out.  Killing contract 32.\n"},
    {"time": t(688), "text": "svc.startd[7]: svc:/system/filesystem/root:default: Method \"/lib/svc/method/fs-root\" failed due to signal KILL.\n"},
    {"time": t(835), "text": "NOTICE: zone donutshop: ready\n"},
]

dump = {
    "kdb_dump": 1,
    "x_about": "The hung boot of jurassic (June 2008). Built by dumps/build_jurassic.py.",
    "system": {"nodename": "jurassic", "sysname": "SunOS", "release": "5.11", "version": "snv_89",
               "machine": "i86pc", "isa": "amd64", "dump": "live", "image_uuid": None,
               "time": NOW, "boot_time": BOOT, "hz": 100},
    "kmdb": {"cpu": 12, "pc": "kmdb_enter+0xb", "instr": "movq   %rax,%rdi"},
    "modules": MODULE_JSON,
    "cpus": cpus,
    "zones": [
        {"id": 0, "name": "global", "addr": "0xfffffffffbc2b480", "status": "running", "path": "/",
         "brand": "native", "ip": "shared", "uuid": None, "capped_cpu": None},
        {"id": 1, "name": "donutshop", "addr": "0xffffff0936119000", "status": "ready",
         "path": "/zones/donutshop", "brand": "ipkg", "ip": "shared",
         "uuid": "1c8d1ef6-8a2b-e2e4-b9a7-e5e0c9a4f0d2", "capped_cpu": 1.5},
    ],
    "procs": procs,
    "sobjs": sobjs,
    "majors": majors,
    "devinfo": [root],
    "msgbuf": msgbuf,
    # the timeouts pending at the stop: the clock's housekeeping, the HBA
    # watchdog, TCP timers, and fs-root's method timeout in svc.startd's
    # contract (the timed-out start method was killed at t=688 and retried)
    "callouts": [
        {"func": "ts_update", "cpu": 0, "realtime": True, "expires": 41},
        {"func": "kmem_update", "cpu": 0, "expires": 1388},
        {"func": "seg_pupdate", "cpu": 0, "expires": 77},
        {"func": "schedpaging", "cpu": 1, "expires": 4},
        {"func": "mpt`mpt_watch", "arg": "0xffffff0930e4c000", "cpu": 2, "expires": 61},
        {"func": "ip`tcp_timer_callback", "arg": "0xffffff0934a1c2c0", "cpu": 5, "expires": 3712},
        {"func": "ip`tcp_timer_callback", "arg": "0xffffff0934a1d580", "cpu": 5, "expires": 119},
        {"func": "ip`igmp_slowtimo", "cpu": 7, "expires": 2},
        {"func": "zfs`spa_deadman", "arg": "0xffffff0932e7d000", "cpu": 9, "expires": 99810},
        {"func": "polltime", "arg": "0xffffff09352a1e40", "cpu": 12, "realtime": True, "expires": 5},
    ],
    # "mem = 16776748K" at boot: 4194187 pages of 4K; most of it still free
    # this early in the boot
    "globals": {"physmem": 16776748 // 4, "freemem": 3865390, "availrmem": 4101215},
    # ddi_prop_debug_flag, an int the ddi property code tests
    "objects": [{"addr": next(s["addr"] for m in MODULE_JSON for s in m["symbols"]
                              if s["name"] == "ddi_prop_debug_flag"), "type": "int", "value": 0}],
}

out = Path(__file__).with_name("jurassic.json")
text = json.dumps(dump, indent=1, sort_keys=False) + "\n"
if "--check" in sys.argv:
    sys.exit(0 if out.read_text() == text else 1)
out.write_text(text)
print(f"wrote {out} ({len(text)} bytes, {sum(len(p['threads']) for p in procs)} threads)")
