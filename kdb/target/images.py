"""Built-in kernel types and the memory images of dump entities.

Every process reads as a ``proc_t`` at its address, every thread as a
``kthread_t``, every zone as a ``zone_t`` and every CPU as a ``cpu_t``,
with pointers linking them as in an illumos kernel (``t_procp``,
``t_forw``/``t_back`` around the process's threads, ``p_tlist``, ``p_zone``,
``p_parent``, ``p_pidp``...). Images are produced when read, not at load.
"""

from __future__ import annotations

import functools
import struct
from typing import Any, Callable

from kdb.target.ctype import CType, TypeSystem
from kdb.target.ddiprops import DDI_DEV_T_NONE, prop_blob, prop_type
from kdb.target.memory import AddressSpace, add_stacks
from kdb.target.model import SSTATES, TS_BITS
from kdb.target.callouts import CALLOUT_TYPES
from kdb.target.kmem import KMEM_TYPES
from kdb.target.cyclics import CYC_REGION, CYC_STRIDE, CYCLIC_TYPES
from kdb.target.deathrow import deathrow_next
from kdb.target.systime import epoch
from kdb.target.dispq import DISP_TYPES, disp_addr, disp_values, links as dispq_links, run_queues
from kdb.target.taskqs import TASKQ_TYPES, taskqs
from kdb.target.turnstiles import image_values, turnstiles

KERNEL_TYPES = [
    "typedef struct kmutex { void *_opaque[1]; } kmutex_t",
    "typedef struct krwlock { void *_opaque[1]; } krwlock_t",
    "typedef struct _kcondvar { unsigned short _opaque; } kcondvar_t",
    "typedef struct ksema { void *_opaque[2]; } ksema_t",
    "typedef struct sema_impl { struct _kthread *s_slpq; int s_count; } sema_impl_t",
    "struct pid { unsigned int pid_prinactive:1; unsigned int pid_pgorphaned:1; "
    "unsigned int pid_padding:6; unsigned int pid_prslot:24; pid_t pid_id; "
    "struct proc *pid_pglink; struct proc *pid_pgtail; struct pid *pid_link; unsigned int pid_ref; }",
    "typedef struct user { int u_execid; long u_execsz; unsigned short u_tsize; unsigned short u_dsize; "
    "long u_start; clock_t u_ticks; char u_comm[17]; char u_psargs[80]; int u_argc; "
    "uintptr_t u_argv; uintptr_t u_envp; } user_t",
    "typedef struct proc { struct vnode *p_exec; struct as *p_as; struct plock *p_lockp; kmutex_t p_crlock; "
    "struct cred *p_cred; int p_swapcnt; char p_stat; char p_wcode; unsigned short p_pidflag; int p_wdata; "
    "pid_t p_ppid; struct proc *p_link; struct proc *p_parent; struct proc *p_child; "
    "struct proc *p_sibling; struct proc *p_psibling; struct proc *p_sibling_ns; struct proc *p_child_ns; "
    "struct proc *p_next; struct proc *p_prev; struct proc *p_nextofkin; struct proc *p_orphan; "
    "struct proc *p_nextorph; struct proc *p_pglink; struct sess *p_sessp; struct pid *p_pidp; "
    "struct pid *p_pgidp; kcondvar_t p_cv; kcondvar_t p_flag_cv; kcondvar_t p_lwpexit; "
    "kcondvar_t p_holdlwps; unsigned int p_proc_flag; unsigned int p_flag; clock_t p_utime; "
    "clock_t p_stime; clock_t p_cutime; clock_t p_cstime; struct _kthread *p_tlist; "
    "struct _kthread *p_agenttp; int p_lwpcnt; int p_lwprcnt; int p_lwpdaemon; int p_lwpwait; "
    "int p_zombcnt; struct task *p_task; projid_t p_projid; struct zone *p_zone; zoneid_t p_zoneid; "
    "struct pid p_pid_struct; user_t p_user; } proc_t",
    "typedef struct _label_t { long val[8]; } label_t",
    "typedef struct _kthread { struct _kthread *t_link; caddr_t t_stk; void (*t_startpc)(void); "
    "struct cpu *t_bound_cpu; short t_affinitycnt; short t_bind_cpu; unsigned short t_flag; "
    "unsigned short t_proc_flag; unsigned short t_schedflag; volatile char t_preempt; "
    "volatile char t_preempt_lk; unsigned int t_state; pri_t t_pri; pri_t t_epri; pri_t t_cpri; "
    "char t_writer; unsigned char t_bindflag; label_t t_pcb; caddr_t t_stkbase; clock_t t_disp_time; "
    "caddr_t t_wchan0; caddr_t t_wchan; struct _sobj_ops *t_sobj_ops; id_t t_cid; "
    "void *t_cldata; struct ctxop *t_ctx; uintptr_t t_lofault; struct _label_t *t_onfault; "
    "struct on_trap_data *t_ontrap; caddr_t t_swap; struct _kthread *t_forw; "
    "struct _kthread *t_back; struct _kthread *t_next; struct _kthread *t_prev; "
    "unsigned short t_whystop; unsigned short t_whatstop; int t_dslot; struct pollstate *t_pollstate; "
    "struct pollcache *t_pollcache; struct cred *t_cred; clock_t t_start; clock_t t_lbolt; "
    "hrtime_t t_stoptime; unsigned int t_pctcpu; short t_sysnum; void *t_pil; "
    "struct _kthread *t_intr; struct cpu *t_cpu; struct cpu *t_weakbound_cpu; struct proc *t_procp; "
    "struct _klwp *t_lwp; id_t t_tid; char t_pil_level; char *t_name; struct turnstile *t_ts; "
    "struct turnstile *t_prioinv; struct sleepq *t_sleepq; struct taskq *t_taskq; } kthread_t",
    # sys/sleepq.h, sys/turnstile.h; a turnstile hash chain as sobj.c declares it
    "typedef unsigned char disp_lock_t",
    "typedef struct sleepq { struct _kthread *sq_first; } sleepq_t",
    "typedef struct turnstile { struct turnstile *ts_next; struct turnstile *ts_free; void *ts_sobj; "
    "int ts_waiters; pri_t ts_epri; struct _kthread *ts_inheritor; struct turnstile *ts_prioinv; "
    "sleepq_t ts_sleepq[2]; } turnstile_t",
    "typedef struct turnstile_chain { turnstile_t *tc_first; disp_lock_t tc_lock; } turnstile_chain_t",
    "typedef struct upib { kmutex_t upib_lock; struct upimutex *upib_first; } upib_t",
    "typedef struct ddi_prop { struct ddi_prop *prop_next; dev_t prop_dev; char *prop_name; "
    "int prop_flags; int prop_len; caddr_t prop_val; void *prop_private; } ddi_prop_t",
    "struct devnames { char *dn_name; int dn_flags; int dn_instance; struct dev_info *dn_head; "
    "struct ddi_prop *dn_global_prop_ptr; kmutex_t dn_lock; void *dn_pl; }",
    "typedef struct ddi_prop_list { ddi_prop_t *prop_list; int prop_ref; "
    "struct ddi_prop_list *prop_next; } ddi_prop_list_t",
    "typedef enum { DS_PROTO = 0, DS_LINKED, DS_BOUND, DS_INITIALIZED, DS_PROBED, DS_ATTACHED, "
    "DS_READY } ddi_node_state_t",
    # sys/ddi_impldefs.h, the members the dcmds and devinfo.c read, in order
    "struct dev_info { struct dev_info *devi_parent; struct dev_info *devi_child; "
    "struct dev_info *devi_sibling; char *devi_binding_name; char *devi_addr; int devi_nodeid; "
    "int devi_instance; void *devi_ops; void *devi_parent_data; void *devi_driver_data; "
    "ddi_prop_t *devi_drv_prop_ptr; ddi_prop_t *devi_sys_prop_ptr; void *devi_minor; "
    "struct dev_info *devi_next; kmutex_t devi_lock; char *devi_node_name; "
    "char *devi_compat_names; major_t devi_major; ddi_node_state_t devi_node_state; "
    "unsigned int devi_state; ddi_prop_t *devi_hw_prop_ptr; ddi_prop_list_t *devi_global_prop_list; "
    "int devi_ref; int devi_circular; void *devi_busy_thread; unsigned int devi_flags; }",
    "struct modctl { struct modctl *mod_next; struct modctl *mod_prev; int mod_id; void *mod_mp; "
    "char *mod_filename; char *mod_modname; char mod_busy; char mod_want; char mod_loaded; "
    "char mod_installed; int mod_loadcnt; void *mod_text; size_t mod_text_size; }",
    "typedef struct zone { char *zone_name; zoneid_t zone_id; unsigned int zone_ref; "
    "unsigned int zone_cred_ref; struct zone *zone_next; struct zone *zone_prev; "
    "char *zone_rootpath; unsigned long zone_status; char *zone_brand; unsigned long long zone_cpu_cap; "
    "char zone_uuid[37]; } zone_t",
    "typedef struct cpu { processorid_t cpu_id; processorid_t cpu_seqid; unsigned int cpu_flags; "
    "struct cpu *cpu_self; struct _kthread *cpu_thread; struct _kthread *cpu_idle_thread; "
    "struct _kthread *cpu_pause_thread; struct lwp *cpu_lwp; struct cpu *cpu_next; struct cpu *cpu_prev; "
    "int cpu_disp_nrunnable; char cpu_runrun; char cpu_kprunrun; pri_t cpu_chosen_level; "
    "unsigned short cpu_base_spl; clock_t cpu_last_swtch; struct _disp *cpu_disp; "
    "struct cyc_cpu *cpu_cyclic; } cpu_t",
    *TASKQ_TYPES,
    *CALLOUT_TYPES,
    *KMEM_TYPES,
    *DISP_TYPES,
    *CYCLIC_TYPES,
]

EXTRA_TYPEDEFS = [("projid_t", "int")]
ZONE_STATUS = {"configured": 0, "incomplete": 1, "installed": 2, "ready": 3, "running": 4,
               "shutting_down": 5, "down": 6}


def kernel_types(ts: TypeSystem) -> None:
    """Declare the built-in kernel types (not synthetic: ::typedef -d keeps them)."""
    for name, base in EXTRA_TYPEDEFS:
        if name not in ts.types:
            ts.add(name, CType("typedef", name, 4, 4, True, target=ts.lookup(base)), synthetic=False)
    for decl in KERNEL_TYPES:
        ts.declare(decl, synthetic=False)


def encode(t: CType, value: Any, memo: dict[int, Callable[[Any], bytes]] | None = None) -> bytes:
    """Encode a value of type ``t``: ints, pointers, floats, strings for char
    arrays, lists for arrays, dicts for structs. MEMO keeps the types' plans
    (:func:`compile_encoder`) across calls that encode many values."""
    return compile_encoder(t, memo)(value)


def compile_encoder(t: CType, memo: dict[int, Callable[[Any], bytes]] | None = None) -> Callable[[Any], bytes]:
    """The encoder of one type, planned once: what an image producer calls
    for each of a million threads (each member's offset, size and mask are
    worked out here, not on every encoding). MEMO shares the plans of the
    types met, by identity."""
    memo = {} if memo is None else memo
    got = memo.get(id(t))
    if got is not None:
        return got
    r = t.resolve()
    size = r.size
    enc: Callable[[Any], bytes]
    if r.kind in ("int", "enum", "pointer"):
        mask = (1 << (8 * size)) - 1

        def enc(v: Any) -> bytes:
            return (int(v or 0) & mask).to_bytes(size, "little")
    elif r.kind == "float":
        fmt = "<d" if size == 8 else "<f"

        def enc(v: Any) -> bytes:
            return struct.pack(fmt, float(v or 0.0))
    elif r.kind == "array":
        elem = r.target.resolve() if r.target else None
        sub = compile_encoder(elem, memo) if elem is not None else None
        count = r.count or 0

        def enc(value: Any) -> bytes:
            if isinstance(value, str) and elem is not None and elem.size == 1:
                raw = value.encode("utf-8", "replace")[: size - 1]
                return raw + bytes(size - len(raw))
            out = bytearray(size)
            if isinstance(value, (list, tuple)) and elem is not None and sub is not None:
                for i, v in enumerate(value[:count]):
                    out[i * elem.size:(i + 1) * elem.size] = sub(v)
            return bytes(out)
    elif r.kind in ("struct", "union"):
        plan: dict[str, tuple[int, int | None, int, int, Callable[[Any], bytes] | None]] = {}
        for m in r.members:
            if m.name is None or m.name in plan:
                continue
            if m.bit_size is not None:
                plan[m.name] = (m.offset, m.bit_size, m.bit_offset, m.type.resolve().size, None)
            else:
                plan[m.name] = (m.offset, None, 0, 0, compile_encoder(m.type, memo))
        ordered = [m.name for m in r.members if m.name is not None]

        def enc(value: Any) -> bytes:
            out = bytearray(size)
            values = value or {}
            # a struct's members do not overlap (bit-fields are or-ed into
            # their unit): any order does; a union's keep declaration order
            names = values if r.kind == "struct" else [n for n in ordered if n in values]
            for name in names:
                p = plan.get(name)
                if p is None:
                    continue
                off, bits, boff, unit, sub = p
                v = values[name]
                if bits is not None:
                    word = int.from_bytes(out[off:off + unit], "little")
                    word |= (int(v) & ((1 << bits) - 1)) << boff
                    out[off:off + unit] = word.to_bytes(unit, "little")
                    continue
                assert sub is not None
                data = sub(v)
                out[off:off + len(data)] = data
            return bytes(out)
    else:
        def enc(v: Any) -> bytes:
            return bytes(size)
    memo[id(t)] = enc
    return enc


class Strings:
    """A synthetic region holding the strings ``char *`` members point to."""

    BASE = 0xFFFFFF0970000000

    def __init__(self) -> None:
        self.data = bytearray()
        self.index: dict[str, int] = {}

    def addr(self, s: str) -> int:
        a = self.index.get(s)
        if a is None:
            a = self.BASE + len(self.data)
            self.data += s.encode("utf-8", "replace") + b"\0"
            self.index[s] = a
        return a

    def blob(self, data: bytes) -> int:
        """Raw bytes in the region (deduplicated), 8-byte aligned."""
        key = "\0blob:" + data.hex()
        a = self.index.get(key)
        if a is None:
            self.data += bytes(-len(self.data) % 8)
            a = self.BASE + len(self.data)
            self.data += data
            self.index[key] = a
        return a


def lazily(make: Callable[[], bytes]) -> Callable[[int, int], bytes]:
    """A region's producer that makes its bytes on the first read (a dump of
    a million threads pays for the images it shows), then slices them."""
    cache: list[bytes] = []

    def produce(off: int, n: int) -> bytes:
        if not cache:
            cache.append(make())
        return cache[0][off:off + n]
    return produce


def add_entity_images(space: AddressSpace, ts: TypeSystem, dump: Any,
                      extra: "tuple[Callable[[AddressSpace, TypeSystem, Any, Strings], None], ...]" = ()) -> None:
    """Map every process, thread, zone and CPU as its kernel structure;
    EXTRA builders add more images with the same strings, in order."""
    strings = Strings()
    encoders: dict[int, Callable[[Any], bytes]] = {}

    def image(t: CType, make: Callable[[], dict]) -> Callable[[int, int], bytes]:
        return lazily(lambda: compile_encoder(t, encoders)(make()))

    def build(sp: AddressSpace) -> None:
        # intern every string an image can point to, in a fixed order, so
        # their addresses do not depend on what was read first
        for z in dump.zones:
            strings.addr(z.name), strings.addr(z.path), strings.addr(z.brand)
        for t in dump.threads:
            if t.name:
                strings.addr(t.name)
        for mj in dump.majors:
            strings.addr(mj.name)
            for p in mj.props:
                strings.addr(p.name)
                blob = prop_blob(p.value)
                if blob:
                    strings.blob(blob)
        nodes = dump.device_nodes()
        for n in nodes:
            for which in ("system", "driver", "hardware"):
                for name, value in n.prop_list(which).items():
                    strings.addr(name)
                    blob = prop_blob(value)
                    if blob:
                        strings.blob(blob)
        for m in sorted(dump.modules, key=lambda m: m.id):
            strings.addr(m.name), strings.addr(f"kernel/misc/amd64/{m.name}")
        proc_t = ts.lookup("proc_t")
        thread_t = ts.lookup("kthread_t")
        zone_t = ts.lookup("zone_t")
        cpu_t = ts.lookup("cpu_t")
        by_pid = dump.proc_by_pid
        children = dump.proc_children()       # newest first, as fork links them
        # each process's place among its siblings: no scan of them per process
        sib_index = {id(x): k for kids in children.values() for k, x in enumerate(kids)}
        procs = dump.procs
        pid_member = proc_t.member("p_pid_struct")
        assert pid_member is not None       # kernel_types() declares it
        pid_off = pid_member.offset

        def proc_values(p: Any, i: int) -> dict:
            kids = children.get(p.pid, [])
            parent = by_pid.get(p.ppid) if p.pid != 0 else None
            sibs = children.get(p.ppid, [])
            k = sib_index.get(id(p), -1)
            start = _epoch(p.start)
            return {
                "p_stat": SSTATES.get(p.state, 0), "p_ppid": p.ppid, "p_flag": p.flags,
                "p_parent": parent.addr if parent else 0, "p_child": kids[0].addr if kids else 0,
                "p_sibling": sibs[k + 1].addr if 0 <= k < len(sibs) - 1 else 0,
                "p_psibling": sibs[k - 1].addr if k > 0 else 0,
                "p_next": procs[i + 1].addr if i + 1 < len(procs) else 0,
                "p_prev": procs[i - 1].addr if i > 0 else 0,
                "p_pidp": p.addr + pid_off, "p_pgidp": p.addr + pid_off,
                "p_tlist": p.tlist[0].addr if p.tlist else 0,
                "p_lwpcnt": len(p.tlist), "p_zone": p.zone.addr, "p_zoneid": p.zone.id,
                "p_projid": p.project,
                "p_pid_struct": {"pid_id": p.pid, "pid_ref": 1},
                "p_user": {"u_comm": p.comm, "u_psargs": p.psargs, "u_start": start},
            }

        tstiles = turnstiles(dump)
        queue_of = taskqs(dump).of_thread
        queues = run_queues(dump)         # each CPU's, once: the links, cpu_t and disp_t use it
        runq_link = dispq_links(queues)

        lists: dict[int, tuple[list, dict[int, int]]] = {}
        deathrow = deathrow_next(dump)

        def thread_list(p: Any) -> tuple[list, dict[int, int]]:
            """P's thread list and each thread's place on it, once per process."""
            got = lists.get(id(p))
            if got is None:
                tl = p.tlist
                got = lists[id(p)] = (tl, {t.addr: i for i, t in enumerate(tl)})
            return got

        def thread_values(t: Any, k: int) -> dict:
            ts_, where = thread_list(t.proc)
            k = where.get(t.addr, -1)
            on_list = k >= 0            # p0's threads but t0, and free threads, are on none
            cpu = dump.cpu_by_id.get(t.cpu) if t.cpu is not None else None
            bounds = t.stack_bounds()
            return {
                "t_startpc": t.start or 0, "t_flag": t.flags, "t_proc_flag": t.pflags,
                "t_schedflag": t.sflags, "t_state": TS_BITS[t.state], "t_pri": t.pri, "t_epri": t.epri,
                # label_t: val[0] the pc, val[1] the sp resume() saved
                # (amd64 setjmp: LABEL_PC, LABEL_SP); no t_disp_time is recorded
                "t_pcb": {"val": [t.resume or 0, t.sp or 0]}, "t_stk": bounds[1] if bounds else 0,
                "t_stkbase": bounds[0] if bounds else 0, "t_disp_time": 0, "t_wchan": t.wchan or 0,
                "t_sobj_ops": dump.sobj_ops(t.sobj_type), "t_ts": t.ts,
                "t_forw": ts_[(k + 1) % len(ts_)].addr if on_list else deathrow.get(t.addr, 0),
                "t_back": ts_[k - 1].addr if on_list else 0,
                "t_cpu": cpu.addr if cpu else 0, "t_procp": t.proc.addr, "t_lwp": t.lwp or 0,
                "t_tid": t.tid, "t_pil_level": t.pil, "t_cid": 0 if t.proc.pid == 0 else 1,
                "t_name": strings.addr(t.name) if t.name else 0,
                "t_prioinv": tstiles.prioinv.get(t.addr, 0), "t_sleepq": tstiles.sleepq.get(t.addr, 0),
                "t_link": tstiles.link.get(t.addr) or runq_link.get(t.addr, 0),
                "t_taskq": queue_of[t.addr].addr if t.addr in queue_of else 0,
            }

        for i, p in enumerate(procs):
            sp.add(p.addr, proc_t.size, image(proc_t, functools.partial(proc_values, p, i)))
        for p in procs:               # each thread knows its place: no scan of its siblings
            for k, t in enumerate(p.threads):
                sp.add(t.addr, thread_t.size, image(thread_t, functools.partial(thread_values, t, k)))
        zones = dump.zones

        def zone_values(z: Any, i: int) -> dict[str, Any]:
            return {
                "zone_name": strings.addr(z.name), "zone_id": z.id, "zone_ref": z.refs, "zone_cred_ref": z.cred_refs,
                "zone_next": zones[i + 1].addr if i + 1 < len(zones) else 0,
                "zone_prev": zones[i - 1].addr if i else 0,
                "zone_rootpath": strings.addr(z.path), "zone_status": ZONE_STATUS.get(z.status, 0),
                "zone_brand": strings.addr(z.brand),
                "zone_cpu_cap": int(z.capped_cpu * 100) if z.capped_cpu else 0,
                "zone_uuid": z.uuid or ""}

        for i, z in enumerate(zones):
            sp.add(z.addr, zone_t.size, image(zone_t, functools.partial(zone_values, z, i)))
        cpus = dump.cpus

        def cpu_values(c: Any, i: int) -> dict[str, Any]:
            return {
                "cpu_id": c.id, "cpu_seqid": c.id, "cpu_flags": c.flags, "cpu_self": c.addr,
                "cpu_thread": c.thread or 0, "cpu_idle_thread": c.idle_thread or 0,
                "cpu_next": cpus[(i + 1) % len(cpus)].addr, "cpu_prev": cpus[i - 1].addr,
                "cpu_disp_nrunnable": len(queues.get(c.id, ())), "cpu_runrun": int(c.runrun),
                "cpu_kprunrun": int(c.kprunrun), "cpu_base_spl": c.bspl, "cpu_disp": disp_addr(dump, i),
                "cpu_cyclic": CYC_REGION + CYC_STRIDE * i}

        disp_t, dispq_t = ts.lookup("disp_t"), ts.lookup("dispq_t")
        for i, c in enumerate(cpus):
            sp.add(c.addr, cpu_t.size, image(cpu_t, functools.partial(cpu_values, c, i)))
            disp, dqs = disp_values(dump, i, queues.get(c.id, []), dispq_t)
            sp.add_bytes(disp_addr(dump, i), encode(disp_t, disp))
            sp.add_bytes(disp["disp_q"], b"".join(encode(dispq_t, q) for q in dqs))
        add_sobjs(sp, ts, dump)
        turnstile_t = ts.lookup("turnstile_t")
        for tstile in tstiles.all:
            sp.add(tstile.addr, turnstile_t.size, image(turnstile_t, functools.partial(image_values, tstile)))
        add_driver_images(sp, ts, dump, strings)
        for more in extra:          # the device tree, the kernel variables
            more(sp, ts, dump, strings)
        # the strings the images point to (filled as images are made)
        sp.add(Strings.BASE, 1 << 24, lambda off, n: bytes(strings.data[off:off + n]).ljust(n, b"\0"))

    space.add_lazy(build)
    add_stacks(space, dump.threads)


def add_sobjs(sp: AddressSpace, ts: TypeSystem, dump: Any) -> None:
    """Mutexes, rwlocks, semaphores and condition variables as their kernel types."""
    mutex_t, rw_t = ts.lookup("kmutex_t"), ts.lookup("krwlock_t")
    sema_t, cv_t = ts.lookup("sema_impl_t"), ts.lookup("kcondvar_t")
    waiters: dict[int, list] = {}
    for t in dump.threads:
        if t.sobj is not None:
            waiters.setdefault(t.sobj_addr, []).append(t)
    inside = taskqs(dump).embedded_cvs      # a taskq_t's image holds its tq_dispatch_cv
    for so in dump.sobjs:
        if so.addr in inside:
            continue
        ws = waiters.get(so.addr, [])
        if so.type == "mutex":
            # adaptive: owner | has-waiters bit; spin: the lock byte and SPLs
            word = ((so.owner or 0) | (1 if ws else 0)) if so.kind == "adaptive" else \
                (0xFF if so.owner else 0) | so.minspl << 16 | so.oldspl << 32
            sp.add_bytes(so.addr, encode(mutex_t, {"_opaque": [word]}))
        elif so.type == "rwlock":
            word = (so.writer or 0) | 0x4 if so.writer else so.readers << 3
            word |= (0x2 if so.write_wanted else 0) | (0x1 if ws else 0)
            sp.add_bytes(so.addr, encode(rw_t, {"_opaque": [word]}))
        elif so.type == "sema":
            sp.add_bytes(so.addr, encode(sema_t, {"s_slpq": ws[0].addr if ws else 0,
                                                   "s_count": so.count}))
        else:
            sp.add_bytes(so.addr, encode(cv_t, {"_opaque": 1 if ws else 0}))


def add_driver_images(sp: AddressSpace, ts: TypeSystem, dump: Any, strings: "Strings") -> None:
    """struct devnames per major, its ddi_prop list (every entry at its own
    address, produced on demand), and struct modctl per module."""
    import bisect
    prop_t, dn_t, mod_t = ts.lookup("ddi_prop_t"), ts.lookup("struct devnames"), ts.lookup("struct modctl")
    heads: dict[int, int] = {}
    for m in dump.device_nodes():
        if m.major is not None and m.major not in heads:
            heads[m.major] = m.addr
    for mj in dump.majors:
        count = mj.prop_count
        sp.add_bytes(mj.devnames, encode(dn_t, {
            "dn_name": strings.addr(mj.name), "dn_instance": -1 if mj.major not in heads else 0,
            "dn_head": heads.get(mj.major, 0),
            "dn_global_prop_ptr": mj.prop_base if count else 0}))
        if not count:
            continue
        ends: list[int] = []
        total = 0
        for p in mj.props:
            total += p.repeat
            ends.append(total)
        size = prop_t.size
        memo: dict[int, Callable[[Any], bytes]] = {}     # the encoder's plan, made once

        def produce(off: int, n: int, mj: Any = mj, ends: list[int] = ends, count: int = count,
                    memo: dict[int, Callable[[Any], bytes]] = memo) -> bytes:
            out = bytearray()
            i = off // size
            while len(out) < n + off % size and i < count:
                p = mj.props[bisect.bisect_right(ends, i)]
                rec = _prop_image(prop_t, strings, p.name, p.value,
                                  mj.prop_base + (i + 1) * size if i + 1 < count else 0, memo)
                out += rec
                i += 1
            start = off % size
            return bytes(out[start:start + n]).ljust(n, b"\0")
        sp.add(mj.prop_base, count * size, produce)
    mods = sorted(dump.modules, key=lambda m: m.id)
    for i, m in enumerate(mods):
        sp.add_bytes(m.addr, encode(mod_t, {
            "mod_next": mods[(i + 1) % len(mods)].addr, "mod_prev": mods[i - 1].addr,
            "mod_id": m.id, "mod_modname": strings.addr(m.name),
            "mod_filename": strings.addr(f"kernel/misc/amd64/{m.name}"), "mod_loaded": 1,
            "mod_installed": 1, "mod_loadcnt": 1, "mod_text": m.text, "mod_text_size": m.text_size}))


def _prop_image(prop_t: Any, strings: "Strings", name: str, value: Any, nxt: int,
                memo: dict[int, Callable[[Any], bytes]] | None = None) -> bytes:
    """One ``struct ddi_prop``: its name, type flags, value and next link
    (kdb.target.ddiprops decides the type and the bytes)."""
    blob = prop_blob(value)
    return encode(prop_t, memo=memo, value={"prop_next": nxt, "prop_name": strings.addr(name),
                           "prop_flags": prop_type(value), "prop_len": len(blob),
                           "prop_val": strings.blob(blob) if blob else 0,
                           "prop_dev": DDI_DEV_T_NONE})


def _epoch(ts: str | None) -> int:
    return epoch(ts) or 0
