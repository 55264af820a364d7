"""Building the :class:`~kdb.target.model.Dump` from a parsed dump, section by
section, checking every rule on the way; symbols are declared, then
synthesized for the code locations no table declares.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from kdb.target.ddiprops import VALUE_RULE, valid_value
from kdb.target.globals import SETTABLE
from kdb.target.model import (DEV_STATES, ZONE_STATUSES, Cpu, DevNode,
                       Dump, KModule, KmdbStop, Major, Message, Panic, Proc, Prop, Sobj, Symbol,
                       SystemInfo, Thread, Zone)
from kdb.target.symbols import SymbolTable, parse_location
from kdb.target.callouts import Callout
from kdb.target.taskqs import TASKQ_NAMELEN, Task, Taskq
from kdb.target.kmem import KMEM_FRAMES

from kdb.target.dump.checks import (DEVNAMES_BASE, DumpError, MODCTL_BASE, NODE_PROP_REGION, PROP_REGION,
                                    SIZEOF_DDI_PROP, _show,
                                    address, boolean, enum, integer, location, lst, obj,
                                    opt_address, opt_text, text, timestamp)
from kdb.target.dump.schema import (CPU_KEYS, DEV_KEYS, KMDB_KEYS, MAJOR_KEYS, MEMORY_KEYS,
                                    MODULE_KEYS, MSG_KEYS, OBJECT_KEYS, PANIC_KEYS, PROP_KEYS,
                                    SOBJ_KEYS, SYMBOL_KEYS, SYSTEM_KEYS, TASK_KEYS, TASKQ_KEYS, TOP_KEYS, CALLOUT_KEYS,
                                    ZONE_KEYS)
from kdb.target.dump.blocking import derive as derive_blocking
from kdb.target.dump.kmem_section import parse_kmem
from kdb.target.dump.blocking import StackUnpacker, synthesize_sobj_ops
from kdb.target.dump.procs import ProcessChecks
from kdb.target.dump.cache import decode_stack as decode_cached_stack
from kdb.target.dump.cache import decode_light as cached_light
from kdb.target.dump.cache import stack_pcs as cached_stack_pcs
from kdb.target.dump.stacks import StackScan
from kdb.target.dump.stacks import decode as decode_json_stack
from kdb.target.dump.stacks import decode_light as json_light
from kdb.target.dump.stacks import stack_pcs as json_stack_pcs


class Builder(ProcessChecks):
    """Builds a Dump from parsed JSON, checking every rule on the way: the
    sections here, processes and threads in :class:`ProcessChecks`."""

    # -----------------------------------------------------------------
    def build(self, data: Any, procs_in: list[Proc], restored: list[str] | None = None,
              scan: StackScan | None = None) -> Dump:
        """Build the dump from sections (plain JSON) and typed processes;
        RESTORED: the code locations of processes from the cache
        (kdb.target.dump.cache), which were checked when first loaded; SCAN:
        the scan of the stacks, if the loader started one."""
        top = obj(data, "$", TOP_KEYS, ("kdb_dump", "system", "procs"))
        if top["kdb_dump"] != 1 or type(top["kdb_dump"]) is not int:
            raise DumpError("$.kdb_dump", f"{_show(top['kdb_dump'])} is not a supported format version (1)")
        procs = procs_in
        if restored is not None:
            return self._build(top, procs, None, restored)
        return self._build(top, procs, scan or StackScan(), None)

    def _build(self, top: dict[str, Any], procs: list[Proc], scan: StackScan | None,
               restored: list[str] | None) -> Dump:
        system = self.system(top["system"])
        panic_raw = top.get("panic")
        zones = self.zones(top.get("zones"))
        zone_by_id = {z.id: z for z in zones}
        zone_by_name = {z.name: z for z in zones}
        modules = self.modules(top.get("modules"))
        if scan is None:
            threads, thread_by_addr = self.restore_procs(procs, zone_by_id, zone_by_name)
        else:
            threads, thread_by_addr = self.procs_typed(procs, zone_by_id, zone_by_name)
        cpus = self.cpus(top.get("cpus"), thread_by_addr)
        cpu_ids = {c.id for c in cpus}
        if not {t.cpu for t in threads} <= cpu_ids | {None}:
            for t in threads:
                if t.cpu is not None and t.cpu not in cpu_ids:
                    p = self._thread_path(t)
                    raise DumpError(f"{p}.cpu", f"CPU {t.cpu} is not a CPU of this dump")
        sobjs = self.sobjs(top.get("sobjs"), thread_by_addr)
        majors = self.majors(top.get("majors"))
        devinfo, devnodes = self.devinfo(top.get("devinfo"), {m.major for m in majors})
        msgbuf = self.msgbuf(top.get("msgbuf"))
        taskq_specs = self.taskqs(top.get("taskqs"), thread_by_addr)
        callout_specs = self.callouts(top.get("callouts"), cpu_ids)
        kmem_spec = parse_kmem(top.get("kmem"), self.want, set(thread_by_addr))
        if kmem_spec is not None:
            for loc in KMEM_FRAMES:
                self.want(loc)
        panic = self.panic(panic_raw, thread_by_addr, cpu_ids)
        kmdb = self.kmdb(top.get("kmdb"), cpu_ids)
        if "dump" not in top["system"]:
            system.dump = "crash" if panic is not None else "live"
        types = [text(t, f"$.types[{i}]") for i, t in enumerate(lst(top.get("types", []), "$.types"))]
        objects = self.objects(top.get("objects"))
        memory = self.memory(top.get("memory"))
        if scan is None:
            self.loc_wanted.update(restored or ())
        else:
            self.check_stacks(threads, scan)

        # symbols: declared, then synthesized for the locations no table declares
        table = SymbolTable(modules)
        mods_by_name = {m.name: m for m in modules}
        wanted: dict[tuple[str, str], int] = {}
        parsed: dict[str, tuple[str | None, str, int]] = {}
        for loc in self.loc_wanted:
            mod, name, off = parse_location(loc)  # type: ignore[misc]
            parsed[loc] = (mod, name, off)
            qual = f"{mod}`{name}" if mod else name
            if table.lookup(qual) is None:
                key = (mod or "unix", name)
                wanted[key] = max(wanted.get(key, 0), off)
        if wanted:
            for mod in sorted({k[0] for k in wanted}):
                if mod not in mods_by_name:
                    km = KModule(len(modules), mod, 0, 0, 0, 1, None, MODCTL_BASE + 0x100 * len(modules))
                    modules.append(km)
                    mods_by_name[mod] = km
            table.synthesize(wanted, mods_by_name)
            for km in modules:
                syms = [s for s in km.symbols]
                if syms and km.text == 0:
                    km.text = min(s.addr for s in syms)
                    km.text_size = max(s.addr + s.size for s in syms) - km.text
        resolved: dict[str, int] = {}
        for loc, (mod, name, off) in parsed.items():
            sym = table.lookup(f"{mod}`{name}" if mod else name)
            if sym is None:
                sym = table.lookup(f"{mod or 'unix'}`{name}")
            assert sym is not None
            resolved[loc] = (sym.addr + off) & ((1 << 64) - 1)

        def resolve(loc: Any) -> int:
            if type(loc) is str:
                r = resolved.get(loc)
                if r is not None:
                    return r
                return address(loc, "$")
            return loc

        synthesize_sobj_ops(table)
        if scan is not None:        # a restored dump was derived when first loaded
            derive_blocking(threads, sobjs)
        unpack = StackUnpacker(table, decode_json_stack, json_stack_pcs, json_light) if scan is not None \
            else StackUnpacker(table, decode_cached_stack, cached_stack_pcs, cached_light)
        for proc in procs:
            proc.resolver = resolve
            proc.unpack_stack = unpack
        if kmdb is not None and type(kmdb.pc) is str:
            kmdb.pc = resolve(kmdb.pc)
        for q in taskq_specs:
            for task in q.queue:
                task.func = resolve(task.func)
        for co in callout_specs:
            co.func = resolve(co.func)
        kmem_pcs: dict[str, int] = {}
        if kmem_spec is not None:
            kmem_pcs = {loc: resolve(loc) for loc in KMEM_FRAMES}
            for cs in kmem_spec.caches:
                for g in cs.allocated + cs.freed:
                    g.stack = [resolve(pc) for pc in g.stack]

        dump = Dump(self.path, system, panic, kmdb, modules, cpus, zones, procs, sobjs, majors,
                    devinfo, msgbuf, types, objects, memory)
        dump.threads = threads
        dump.thread_by_addr = thread_by_addr
        dump.proc_by_addr = {p.addr: p for p in procs}
        dump.proc_by_pid = {p.pid: p for p in procs}
        dump.cpu_by_id = {c.id: c for c in cpus}
        dump.cpu_by_addr = {c.addr: c for c in cpus}
        dump.zone_by_id = zone_by_id
        dump.zone_by_addr = {z.addr: z for z in zones}
        dump.sobj_by_addr = {s.addr: s for s in sobjs}
        dump.major_by_num = {m.major: m for m in majors}
        dump.major_by_name = {m.name: m for m in majors}
        dump.devnode_by_addr = devnodes
        dump.symbols = table
        dump.taskq_specs = taskq_specs
        dump.callout_specs = callout_specs
        dump.kmem_spec = kmem_spec
        dump.kmem_pcs = kmem_pcs
        dump.globals = self.globals(top.get("globals"), len(cpus))
        return dump

    def globals(self, v: Any, ncpus: int) -> dict[str, int]:
        """The kernel variables the dump sets (kdb.target.globals.SETTABLE)."""
        if v is None:
            return {}
        d = obj(v, "$.globals", frozenset(v) if type(v) is dict else frozenset(), ())
        out: dict[str, int] = {}
        for name, value in d.items():
            if name.startswith("x_"):
                continue
            if name not in SETTABLE:
                raise DumpError(f"$.globals.{name}", "not a variable a dump sets: the others come from "
                                "the dump's entities; use one of " + ", ".join(SETTABLE))
            out[name] = integer(value, f"$.globals.{name}", 0, (1 << 64) - 1)
        if out.get("max_ncpus", ncpus) < ncpus:
            raise DumpError("$.globals.max_ncpus", f"{out['max_ncpus']} is fewer than the dump's {ncpus} CPUs")
        return out

    # -----------------------------------------------------------------
    def system(self, v: Any) -> SystemInfo:
        d = obj(v, "$.system", SYSTEM_KEYS, ("nodename",))
        s = SystemInfo(text(d["nodename"], "$.system.nodename"))
        for key in ("sysname", "release", "version", "machine", "isa", "dump_file", "content"):
            if key in d:
                setattr(s, key, text(d[key], f"$.system.{key}"))
        if "dump" in d:
            s.dump = enum(d["dump"], "$.system.dump", ("crash", "live"))
        if "image_uuid" in d:
            s.image_uuid = opt_text(d["image_uuid"], "$.system.image_uuid")
        if "domain" in d:
            if type(d["domain"]) is not bool:
                raise DumpError("$.system.domain", f"expected true or false, got {_show(d['domain'])}")
            s.domain = d["domain"]
        for key in ("time", "boot_time"):
            if d.get(key) is not None:
                setattr(s, key, timestamp(d[key], f"$.system.{key}"))
        if "hz" in d:
            s.hz = integer(d["hz"], "$.system.hz", 1)
        if s.isa not in ("amd64", "sparcv9", "i386", "aarch64"):
            raise DumpError("$.system.isa", f"{_show(s.isa)} is not one of amd64, sparcv9, i386, aarch64")
        return s

    def zones(self, v: Any) -> list[Zone]:
        zones: list[Zone] = []
        seen_ids: dict[int, str] = {}
        seen_names: dict[str, str] = {}
        for i, z in enumerate(lst(v if v is not None else [], "$.zones")):
            p = f"$.zones[{i}]"
            d = obj(z, p, ZONE_KEYS, ("id", "name"))
            zid = integer(d["id"], f"{p}.id", 0)
            name = text(d["name"], f"{p}.name")
            if zid in seen_ids:
                raise DumpError(f"{p}.id", f"duplicate zone id {zid} (also {seen_ids[zid]})")
            if name in seen_names:
                raise DumpError(f"{p}.name", f"duplicate zone name {name!r} (also {seen_names[name]})")
            seen_ids[zid] = p + ".id"
            seen_names[name] = p + ".name"
            addr = address(d["addr"], f"{p}.addr") if "addr" in d else 0xFFFFFFFFFBC2B480 + 0x1000 * zid
            self.claim(addr, f"{p}.addr")
            cap = d.get("capped_cpu")
            if cap is not None and (type(cap) not in (int, float) or cap <= 0):
                raise DumpError(f"{p}.capped_cpu", f"{_show(cap)} is not a positive number of CPUs")
            zones.append(Zone(
                zid, name, addr,
                enum(d.get("status", "running"), f"{p}.status", ZONE_STATUSES),
                text(d.get("path", "/" if zid == 0 else f"/zones/{name}"), f"{p}.path"),
                text(d.get("brand", "native"), f"{p}.brand"),
                enum(d.get("ip", "shared"), f"{p}.ip", ("shared", "excl")),
                opt_text(d.get("uuid"), f"{p}.uuid"),
                float(cap) if cap is not None else None,
                integer(d.get("refs", 1), f"{p}.refs", 0, 0xFFFFFFFF),
                integer(d.get("cred_refs", 0), f"{p}.cred_refs", 0, 0xFFFFFFFF)))
        if 0 not in seen_ids:
            if "global" in seen_names:
                raise DumpError(seen_names["global"], "the zone named global must have id 0")
            gaddr = 0xFFFFFFFFFBC2B480
            self.claim(gaddr, "$.zones (implicit global zone)")
            zones.insert(0, Zone(0, "global", gaddr, "running", "/", "native", "shared", None, None))
        return zones

    def modules(self, v: Any) -> list[KModule]:
        mods: list[KModule] = []
        names: dict[str, str] = {}
        for i, m in enumerate(lst(v if v is not None else [], "$.modules")):
            p = f"$.modules[{i}]"
            d = obj(m, p, MODULE_KEYS, ("name",))
            name = text(d["name"], f"{p}.name")
            if name in names:
                raise DumpError(f"{p}.name", f"duplicate module {name!r} (also {names[name]})")
            names[name] = p
            km = KModule(
                integer(d.get("id", i), f"{p}.id", 0), name,
                address(d.get("text", 0), f"{p}.text"),
                integer(d.get("text_size", 0), f"{p}.text_size", 0),
                integer(d.get("data_size", 0), f"{p}.data_size", 0),
                integer(d.get("rev", 1), f"{p}.rev", 0),
                opt_text(d.get("desc"), f"{p}.desc"),
                MODCTL_BASE + 0x100 * i)
            seen: set[str] = set()
            for j, s in enumerate(lst(d.get("symbols", []), f"{p}.symbols")):
                sp = f"{p}.symbols[{j}]"
                sd = obj(s, sp, SYMBOL_KEYS, ("name", "addr"))
                sname = text(sd["name"], f"{sp}.name")
                if sname in seen:
                    raise DumpError(f"{sp}.name", f"duplicate symbol {sname!r} in module {name}")
                seen.add(sname)
                km.symbols.append(Symbol(
                    sname, address(sd["addr"], f"{sp}.addr"),
                    integer(sd.get("size", 0), f"{sp}.size", 0),
                    enum(sd.get("kind", "func"), f"{sp}.kind", ("func", "object")), name))
            mods.append(km)
        return mods

    def cpus(self, v: Any, threads: dict[int, Thread]) -> list[Cpu]:
        if v is None:
            self.claim(0xFFFFFFFFFBC4F0C0, "$.cpus (implicit CPU 0)")
            return [Cpu(0, 0xFFFFFFFFFBC4F0C0, 0x1B, None, None, None, 0, 0, False, False, None,
                        ("running", "ready", "exists", "enable"))]
        cpus: list[Cpu] = []
        ids: dict[int, str] = {}
        for i, c in enumerate(lst(v, "$.cpus")):
            p = f"$.cpus[{i}]"
            d = obj(c, p, CPU_KEYS, ("id",))
            cid = integer(d["id"], f"{p}.id", 0)
            if cid in ids:
                raise DumpError(f"{p}.id", f"duplicate CPU id {cid} (also {ids[cid]})")
            ids[cid] = f"{p}.id"
            addr = address(d["addr"], f"{p}.addr") if "addr" in d else 0xFFFFFFFFFBC4F0C0 + 0x1000 * cid
            self.claim(addr, f"{p}.addr")
            refs = {}
            for key in ("thread", "idle_thread"):
                a = opt_address(d.get(key), f"{p}.{key}")
                if a is not None and a not in threads:
                    raise DumpError(f"{p}.{key}", f"0x{a:x} is not a thread of this dump")
                refs[key] = a
            state = tuple(text(s, f"{p}.state[{k}]") for k, s in enumerate(lst(d.get("state", ["running", "ready", "exists", "enable"]), f"{p}.state")))
            pri = d.get("pri")
            sw = d.get("switch_ticks")
            cpus.append(Cpu(
                cid, addr, integer(d.get("flags", 0x1B), f"{p}.flags", 0),
                refs["thread"], refs["idle_thread"],
                integer(pri, f"{p}.pri", -1, 255) if pri is not None else None,
                integer(d.get("nrun", 0), f"{p}.nrun", 0),
                integer(d.get("bspl", 0), f"{p}.bspl", 0, 15),
                boolean(d.get("runrun", False), f"{p}.runrun"),
                boolean(d.get("kprunrun", False), f"{p}.kprunrun"),
                integer(sw, f"{p}.switch_ticks", 0) if sw is not None else None,
                state, _registers(d.get("registers", {}), f"{p}.registers")))
        return cpus

    def sobjs(self, v: Any, threads: dict[int, Thread]) -> list[Sobj]:
        out: list[Sobj] = []
        for i, s in enumerate(lst(v if v is not None else [], "$.sobjs")):
            p = f"$.sobjs[{i}]"
            d = obj(s, p, SOBJ_KEYS, ("addr", "type"))
            typ = enum(d["type"], f"{p}.type", ("mutex", "rwlock", "sema", "cv"))
            allowed = {"mutex": {"kind", "owner", "minspl", "oldspl"},
                       "rwlock": {"writer", "readers", "write_wanted"},
                       "sema": {"count"}, "cv": set()}[typ] | {"addr", "type", "name"}
            for k in d:
                if k not in allowed and not k.startswith("x_"):
                    raise DumpError(f"{p}.{k}", f"not a field of a {typ}")
            addr = address(d["addr"], f"{p}.addr")
            self.claim(addr, f"{p}.addr")
            so = Sobj(addr, typ, opt_text(d.get("name"), f"{p}.name"))
            for key in ("owner", "writer"):
                a = opt_address(d.get(key), f"{p}.{key}")
                if a is not None and a not in threads:
                    raise DumpError(f"{p}.{key}", f"0x{a:x} is not a thread of this dump")
                setattr(so, key, a)
            if typ == "mutex":
                so.kind = enum(d.get("kind", "adaptive"), f"{p}.kind", ("adaptive", "spin"))
                so.minspl = integer(d.get("minspl", 0), f"{p}.minspl", 0, 15)
                so.oldspl = integer(d.get("oldspl", 0), f"{p}.oldspl", 0, 15)
            so.readers = integer(d.get("readers", 0), f"{p}.readers", 0)
            so.write_wanted = boolean(d.get("write_wanted", False), f"{p}.write_wanted")
            so.count = integer(d.get("count", 0), f"{p}.count", 0)
            out.append(so)
        return out

    def taskqs(self, v: Any, thread_by_addr: dict[int, Thread]) -> list[Taskq]:
        """The taskqs section (kdb.target.taskqs): each queue's threads are
        kernel threads of the dump, in one queue at most."""
        out: list[Taskq] = []
        owner: dict[int, str] = {}
        for i, q in enumerate(lst(v if v is not None else [], "$.taskqs")):
            p = f"$.taskqs[{i}]"
            d = obj(q, p, TASKQ_KEYS, ("addr", "name"))
            addr = address(d["addr"], f"{p}.addr")
            self.claim(addr, p)
            name = text(d["name"], f"{p}.name")
            if not name or len(name) > TASKQ_NAMELEN or not name.isprintable():
                raise DumpError(f"{p}.name", f"a taskq name is 1 to {TASKQ_NAMELEN} printable characters")
            inst = d.get("instance")
            tq = Taskq(addr, name, None if inst is None else integer(inst, f"{p}.instance", 0, 0x7FFFFFFF),
                       boolean(d.get("dynamic", False), f"{p}.dynamic"),
                       integer(d.get("maxq", 0), f"{p}.maxq", 0, 0x7FFFFFFF),
                       integer(d.get("executed", 0), f"{p}.executed", 0, 0x7FFFFFFF),
                       integer(d.get("pri", 60), f"{p}.pri", 0, 169))
            if "threads" in d:
                tq.threads = []
                for j, a in enumerate(lst(d["threads"], f"{p}.threads")):
                    tp = f"{p}.threads[{j}]"
                    t = thread_by_addr.get(address(a, tp))
                    if t is None or t.proc.pid != 0:
                        raise DumpError(tp, f"{_show(a)} is not a kernel thread of this dump")
                    if t.addr in owner:
                        raise DumpError(tp, f"thread 0x{t.addr:x} is already a thread of {owner[t.addr]}")
                    owner[t.addr] = p
                    tq.threads.append(t.addr)
            for j, e in enumerate(lst(d.get("queue", []), f"{p}.queue")):
                ep = f"{p}.queue[{j}]"
                ed = obj(e, ep, TASK_KEYS, ("func",))
                func = location(ed["func"], f"{ep}.func")
                self.want(func)
                tq.queue.append(Task(func, address(ed.get("arg", 0), f"{ep}.arg")))
            if len(tq.queue) > 1 << 20:
                raise DumpError(f"{p}.queue", "more than 2^20 pending tasks")
            out.append(tq)
        return out

    def callouts(self, v: Any, cpu_ids: set[int]) -> list[Callout]:
        """The callouts section (kdb.target.callouts): each on a CPU of the
        dump, expiring within 2^40 ticks either way."""
        out: list[Callout] = []
        for i, c in enumerate(lst(v if v is not None else [], "$.callouts")):
            p = f"$.callouts[{i}]"
            d = obj(c, p, CALLOUT_KEYS, ("func", "expires"))
            func = location(d["func"], f"{p}.func")
            self.want(func)
            cpu = integer(d.get("cpu", 0), f"{p}.cpu")
            if cpu not in cpu_ids and (cpu_ids or cpu != 0):
                raise DumpError(f"{p}.cpu", f"CPU {cpu} is not a CPU of this dump")
            out.append(Callout(func, address(d.get("arg", 0), f"{p}.arg"), cpu,
                               boolean(d.get("realtime", False), f"{p}.realtime"),
                               integer(d["expires"], f"{p}.expires", -(1 << 40), 1 << 40),
                               boolean(d.get("executing", False), f"{p}.executing"),
                               boolean(d.get("hrestime", False), f"{p}.hrestime"),
                               boolean(d.get("absolute", False), f"{p}.absolute")))
        if len(out) > 1 << 20:
            raise DumpError("$.callouts", "more than 2^20 callouts")
        return out

    def majors(self, v: Any) -> list[Major]:
        out: list[Major] = []
        nums: dict[int, str] = {}
        names: dict[str, str] = {}
        for i, m in enumerate(lst(v if v is not None else [], "$.majors")):
            p = f"$.majors[{i}]"
            d = obj(m, p, MAJOR_KEYS, ("major", "name"))
            num = integer(d["major"], f"{p}.major", 0, 0x3FFF)
            name = text(d["name"], f"{p}.name")
            if num in nums:
                raise DumpError(f"{p}.major", f"duplicate major {num} (also {nums[num]})")
            if name in names:
                raise DumpError(f"{p}.name", f"duplicate driver name {name!r} (also {names[name]})")
            nums[num] = p
            names[name] = p
            props = []
            total = 0
            for j, pr in enumerate(lst(d.get("props", []), f"{p}.props")):
                pp = f"{p}.props[{j}]"
                pd = obj(pr, pp, PROP_KEYS, ("name",))
                rep = integer(pd.get("repeat", 1), f"{pp}.repeat", 1, 1 << 24)
                total += rep
                value = pd.get("value")
                if not valid_value(value):
                    raise DumpError(f"{pp}.value", VALUE_RULE)
                props.append(Prop(text(pd["name"], f"{pp}.name"), value, rep))
            if total > (1 << 24):
                raise DumpError(f"{p}.props", f"{total} entries is more than 2^24")
            out.append(Major(num, name, props, PROP_REGION + (num << 28), DEVNAMES_BASE + 0x40 * num))
        return out

    def dev_props(self, v: Any, path: str) -> dict[str, Any]:
        """A device node's property list: names to values, in order."""
        if v is None:
            return {}
        if type(v) is not dict:
            raise DumpError(path, "expected an object of property names and values")
        for name, value in v.items():
            if not valid_value(value):
                raise DumpError(f"{path}.{name}", VALUE_RULE)
        return dict(v)

    def devinfo(self, v: Any, majors: set[int]) -> tuple[list[DevNode], dict[int, DevNode]]:
        index: dict[int, DevNode] = {}
        cursor = [NODE_PROP_REGION]          # the next node property list's address
        if v is None:
            return [], index
        if type(v) is dict:
            v = [v]

        def node(raw: Any, path: str, parent: DevNode | None, depth: int) -> DevNode:
            d = obj(raw, path, DEV_KEYS, ("addr", "name"))
            addr = address(d["addr"], f"{path}.addr")
            self.claim(addr, f"{path}.addr")
            major = d.get("major")
            if major is not None:
                integer(major, f"{path}.major", 0)
                if major not in majors:
                    raise DumpError(f"{path}.major", f"{major} is not a major of this dump")
            lists = [self.dev_props(d.get(k), f"{path}.{k}") for k in ("sys_props", "props", "hw_props")]
            state = opt_text(d.get("state"), f"{path}.state")
            if state is not None and state not in DEV_STATES:
                raise DumpError(f"{path}.state", f"{state!r} is not a device node state: use "
                                + ", ".join(DEV_STATES))
            bases = []
            for props in lists:
                bases.append(cursor[0] if props else 0)
                cursor[0] += SIZEOF_DDI_PROP * len(props)
            n = DevNode(addr, text(d["name"], f"{path}.name"), opt_text(d.get("driver"), f"{path}.driver"),
                        integer(d.get("instance", -1), f"{path}.instance", -1), major,
                        state, lists[1], [], lists[2], lists[0],
                        opt_text(d.get("unit_address"), f"{path}.unit_address"),
                        integer(d.get("refcnt", 0), f"{path}.refcnt", 0, 0x7FFFFFFF), parent, depth,
                        (bases[0], bases[1], bases[2]))
            index[addr] = n
            for k, c in enumerate(lst(d.get("children", []), f"{path}.children")):
                n.children.append(node(c, f"{path}.children[{k}]", n, depth + 1))
            return n

        roots = [node(r, f"$.devinfo[{i}]", None, 0) for i, r in enumerate(lst(v, "$.devinfo"))]
        return roots, index

    def msgbuf(self, v: Any) -> list[Message]:
        out = []
        for i, m in enumerate(lst(v if v is not None else [], "$.msgbuf")):
            p = f"$.msgbuf[{i}]"
            if type(m) is str:
                out.append(Message(None, m))
                continue
            d = obj(m, p, MSG_KEYS, ("text",))
            out.append(Message(timestamp(d["time"], f"{p}.time") if d.get("time") is not None else None,
                               text(d["text"], f"{p}.text")))
        return out

    def panic(self, v: Any, threads: dict[int, Thread], cpus: set[int]) -> Panic | None:
        if v is None:
            return None
        d = obj(v, "$.panic", PANIC_KEYS, ("message",))
        thread = opt_address(d.get("thread"), "$.panic.thread")
        if thread is not None and thread not in threads:
            raise DumpError("$.panic.thread", f"0x{thread:x} is not a thread of this dump")
        cpu = d.get("cpu")
        if cpu is not None:
            integer(cpu, "$.panic.cpu", 0)
            if cpu not in cpus:
                raise DumpError("$.panic.cpu", f"CPU {cpu} is not a CPU of this dump")
        registers = _registers(d.get("registers", {}), "$.panic.registers")
        return Panic(text(d["message"], "$.panic.message"), cpu, thread,
                     timestamp(d["time"], "$.panic.time") if d.get("time") is not None else None,
                     registers)

    def kmdb(self, v: Any, cpus: set[int]) -> KmdbStop | None:
        if v is None:
            return None
        d = obj(v, "$.kmdb", KMDB_KEYS)
        cpu = integer(d.get("cpu", 0), "$.kmdb.cpu", 0)
        if cpu not in cpus:
            raise DumpError("$.kmdb.cpu", f"CPU {cpu} is not a CPU of this dump")
        pc = location(d.get("pc", "kmdb_enter+0xb"), "$.kmdb.pc")
        self.want(pc)
        return KmdbStop(cpu, pc, text(d.get("instr", ""), "$.kmdb.instr"))  # type: ignore[arg-type]

    def objects(self, v: Any) -> list[Any]:
        out = []
        for i, o in enumerate(lst(v if v is not None else [], "$.objects")):
            p = f"$.objects[{i}]"
            d = obj(o, p, OBJECT_KEYS, ("addr", "type", "value"))
            address(d["addr"], f"{p}.addr")
            text(d["type"], f"{p}.type")
            out.append(d)
        return out

    def memory(self, v: Any) -> list[Any]:
        out = []
        for i, m in enumerate(lst(v if v is not None else [], "$.memory")):
            p = f"$.memory[{i}]"
            d = obj(m, p, MEMORY_KEYS, ("addr",))
            addr = address(d["addr"], f"{p}.addr")
            if ("hex" in d) == ("base64" in d):
                raise DumpError(p, "a segment needs exactly one of hex or base64")
            try:
                data = bytes.fromhex(text(d["hex"], f"{p}.hex")) if "hex" in d else \
                    base64.b64decode(text(d["base64"], f"{p}.base64"), validate=True)
            except (ValueError, binascii.Error):
                raise DumpError(f"{p}.{'hex' if 'hex' in d else 'base64'}", "not valid encoded bytes") from None
            out.append((addr, data))
        return out


def _registers(v: Any, path: str) -> list[tuple[str, int]]:
    """A register set: names to values, in the order given (::panicinfo's,
    $r's and ::cpuregs's)."""
    regs = obj(v, path, frozenset(v) if type(v) is dict else frozenset())
    return [(text(k, path), address(val, f"{path}.{k}")) for k, val in regs.items()]
