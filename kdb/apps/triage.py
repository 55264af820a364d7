"""``kdb triage``: automatic analysis of dumps, signatures and buckets.

For each dump: a summary; for a panic, the message, CPU, thread, stack and
the first frame outside the panic machinery; for a hang, the wait-for graph
from lock owners and waiters with its deadlock cycles and longest wait
chains, the most contended wait channels, the threads on CPU, the top stack
groups, anomalies (drivers with huge property lists), notable messages; and a
signature (a short stable hash and a readable form) that is the same for
two dumps of the same bug. Many dumps run in parallel processes and end with
a bucket table.

Exit status: 0 analysed, 1 some dumps failed to load, 2 usage, 3 a
``--fail-on`` finding was present (deadlock, panic, hang).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import re
import sys
from typing import Any

from kdb.errors import KdbError
from kdb.limits import Limits, take_option
from kdb.target.kernel import dump_files
from kdb.analysis.locks import wait_for_graph
from kdb.analysis.memory import memory_report
from kdb.analysis.panickinds import classify
from kdb.analysis.panic import (PANIC_MACHINERY, SLEEP_MACHINERY, doing, function_names, meaningful,
                                panic_report)
from kdb.analysis.stackgroups import group_threads

NOTABLE = re.compile(r"WARNING|panic|error|fail|not responding|timed out|timeout|fault|offline",
                     re.IGNORECASE)
FAIL_ON = ("deadlock", "panic", "hang")
# where healthy idle threads wait: groups whose first meaningful frame is one
# of these are not the story of a hang
IDLE_WAITS = {"taskq_thread_wait", "taskq_thread", "taskq_d_thread", "door_return", "lwp_park",
              "poll_common", "sigsuspend", "waitid", "nanosleep", "intr_thread", "txg_thread_wait",
              "arc_reclaim_thread", "pageout_scanner", "pageout", "fsflush", "sched", "zsched",
              "svc_wait", "squeue_worker", "sigtimedwait", "cv_waituntil_sig", "zfs_delete_thread",
              "l2arc_feed_thread", "spa_async_thread", "txg_quiesce_thread", "seg_pasync_thread",
              "mod_uninstall_daemon", "streams_bufcall_service", "streams_qbkgrnd_service",
              "streams_sqbkgrnd_service", "thread_reaper", "kcage_cageout", "mpt_watch",
              "kctl_wr_thread", "nfs4_async_start", "nfs_async_start"}


#: the panic kinds' parameters the text report shows (kdb.analysis.panickinds)
PANIC_PARAMETERS = ("type", "mnemonic", "trap", "addr", "module", "reason", "expression", "values", "file",
                    "line", "seconds")


def _normalise_message(msg: str) -> str:
    """A panic message's class: addresses and numbers replaced."""
    msg = re.sub(r"\b(rp|addr|thread|sp|pc)=[0-9a-fA-Fx]+", r"\1=*", msg)
    msg = re.sub(r"\b[0-9a-f]{8,16}\b", "*", msg)
    return " ".join(msg.split())


def analyse(dump: Any, target: Any = None, pictures: bool = False) -> dict[str, Any]:
    """Everything triage says about one loaded dump (TARGET: its kernel
    target, made here when the memory analysis needs one). PICTURES: also
    what the HTML report draws: ``folded`` (the threads' folded stacks)
    and ``graph`` (the wait-for graph's edges and cycles)."""
    s = dump.system
    report: dict[str, Any] = {
        "dump": dump.path, "nodename": s.nodename, "os": f"{s.release} {s.version}",
        "kind": "panic" if dump.panic else ("crash" if s.dump == "crash" else "hang"),
        "time": s.time, "procs": len(dump.procs), "threads": len(dump.threads), "cpus": len(dump.cpus),
    }
    by_addr = dump.thread_by_addr

    # -- panic -----------------------------------------------------------------
    panic = panic_report(dump)
    if panic is not None:
        panic.update(classify(panic["message"]))
        report["panic"] = panic
        if panic["forced"]:
            # an operator or a watchdog dumped a sick system: read it as a hang
            report["kind"] = "hang"
            report["forced"] = panic["kind"]

    # -- the wait-for graph: waiter -> owner of what it waits on ---------------------
    wfg = wait_for_graph(dump)
    edges, names_of, owners, waiting = wfg.edges, wfg.names, wfg.holders, wfg.waiting
    report["deadlocks"] = [[{
        "thread": f"0x{a:x}", "process": by_addr[a].proc.comm, "pid": by_addr[a].proc.pid,
        "waits_for": f"0x{edges[a][0]:x}", "object": names_of.get(edges[a][0]),
        "held_by": f"0x{edges[a][1]:x}",
        "function": " < ".join(doing(function_names(dump, by_addr[a]), 2)) or None}
        for a in cyc] for cyc in wfg.cycles()]
    report["wait_chains"] = [[f"0x{x:x}" for x in c] for c in wfg.chains(3)]
    if pictures:
        from kdb.output.folded import fold

        def who(a: int) -> str:
            t = by_addr.get(a)
            return f"{t.proc.comm}/{t.tid}" if t is not None and t.tid else f"{a:x}"
        report["folded"] = dict(fold(dump, [t.addr for t in dump.threads]))
        report["graph"] = {"edges": [{"waiter": f"0x{w:x}", "waiter_name": who(w), "object": f"0x{o:x}",
                                      "object_name": names_of.get(o) or f"{o:x}", "holder": f"0x{h:x}",
                                      "holder_name": who(h)} for w, (o, h) in edges.items()],
                           "cycles": [[f"0x{a:x}" for a in c] for c in wfg.cycles()]}
    # locks and semaphores first: a crowd of idle workers on a CV is seldom the story
    contended = sorted(waiting.items(),
                       key=lambda kv: (kv[1][0].sobj_type == "cv", -len(kv[1]), kv[0]))[:5]
    report["contended"] = [{"addr": f"0x{a:x}", "type": ts[0].sobj_type, "name": names_of.get(a),
                            "waiters": len(ts), "owner": f"0x{owners[a]:x}" if a in owners else None}
                           for a, ts in contended if ts[0].sobj_type != "cv" or len(ts) > 1]

    # -- threads on CPU ------------------------------------------------------------
    oncpu = []
    for c in dump.cpus:
        if c.thread is None or c.thread == c.idle_thread:
            continue
        t = by_addr.get(c.thread)
        if t is None:
            continue
        names = function_names(dump, t)
        oncpu.append({"cpu": c.id, "thread": f"0x{t.addr:x}", "process": t.proc.comm,
                      "pid": t.proc.pid, "stack": names[:8]})
    report["on_cpu"] = oncpu

    # -- stack groups ------------------------------------------------------------------
    # ::stacks's groups (frames resolved once per group), merged by function names
    groups: dict[tuple, list[Any]] = {}
    for g in group_threads(dump):
        first = by_addr[g.threads[0]]
        groups.setdefault((first.state, first.sobj_type, g.names), []).extend(
            by_addr[a] for a in g.threads)
    top = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0][0], kv[0][2]))
    report["stack_groups"] = [{"count": len(ts), "state": k[0], "sobj": k[1], "stack": list(k[2][:8])}
                              for k, ts in top[:5]]
    report["groups_all"] = [{"count": len(ts), "state": k[0], "sobj": k[1], "stack": list(k[2][:12])}
                            for k, ts in top[:50]]
    def stuck(ts: list[Any]) -> bool:
        """Can these waiters make progress? Not if the holder is unknown or blocked too."""
        for t in ts:
            holder = owners.get(t.sobj_addr)
            if holder is None:
                return True
            h = by_addr.get(holder)
            if h is None or (h.state == "sleep" and h.sobj is not None):
                return True
        return False
    def orphaned(ts: list[Any]) -> bool:
        """Every waiter's object is held by nobody (an empty semaphore, say): no one will let go."""
        return all(t.sobj_addr in wfg.unreleasable for t in ts)
    blocked = [(stuck(ts), orphaned(ts), k, ts) for k, ts in top
               if k[0] == "sleep" and k[1] not in (None, "cv")]
    blocked.sort(key=lambda x: (not x[0], not x[1], -len(x[3]), x[2][0], x[2][2]))
    report["blocked_groups"] = [{"count": len(ts), "state": k[0], "sobj": k[1], "stuck": st,
                                 "stack": list(k[2][:8])} for st, _o, k, ts in blocked[:5]]

    # -- anomalies and messages ---------------------------------------------------------
    anomalies = []
    for m in dump.majors:
        if m.prop_count > 10_000:
            anomalies.append(f"driver {m.name} (major 0x{m.major:x}) has {m.prop_count} global "
                             "properties: appending to that list costs n(n+1)/2 steps")
    for o in oncpu:
        if "impl_make_parlist" in o["stack"]:
            anomalies.append(f"{o['process']} ({o['pid']}) on CPU {o['cpu']} is parsing a driver.conf "
                             f"file ({' < '.join(o['stack'][:4])})")
    if dump.kmem_spec is not None:
        if target is None:
            from kdb.target.kernel import KernelTarget
            target = KernelTarget(dump)
        memory = memory_report(dump, target)
        if memory is not None:
            report["memory"] = memory
            if memory["finding"]:
                anomalies.append(memory["finding"])
    report["anomalies"] = anomalies
    report["messages"] = [m.text.rstrip("\n") for m in dump.msgbuf if NOTABLE.search(m.text)][-10:]
    report["signature"] = signature(report)
    del report["groups_all"]
    return report


def signature(r: dict[str, Any]) -> dict[str, str]:
    """A readable signature and a short stable hash: the same for the same bug."""
    memory = (r.get("memory") or {}).get("signature")
    forced = "forced" in r
    if memory and ("panic" not in r or forced or "corruption" in r.get("memory", {})):
        text = memory
    elif "panic" in r and not forced:
        p = r["panic"]
        frames = [n for n in p["stack"] if n not in PANIC_MACHINERY][:3]
        text = f"panic: {_normalise_message(p['message'])} | {' < '.join(frames)}"
    elif r["deadlocks"]:
        funcs = sorted({d["function"] or "?" for cyc in r["deadlocks"] for d in cyc})
        text = f"deadlock: {' / '.join(funcs)}"
    else:
        text = "hang: " + _dominant(r)
    return {"text": text, "hash": hashlib.sha1(text.encode()).hexdigest()[:12]}


def _dominant(r: dict[str, Any]) -> str:
    """The dominant blocked stack: the biggest group not idle, asleep on a CV only, or free."""
    g = r["blocked_groups"][0] if r["blocked_groups"] else None
    if g is None:
        busy = [x for x in r["groups_all"] if meaningful(x["stack"], SLEEP_MACHINERY)[:1]
                and meaningful(x["stack"], SLEEP_MACHINERY)[0] not in IDLE_WAITS]
        g = busy[0] if busy else (r["stack_groups"][0] if r["stack_groups"] else None)
    if g is None:
        return "no threads"
    frames = meaningful(g["stack"], SLEEP_MACHINERY)[:3]
    return f"{g['count'] and (g['sobj'] or g['state'])} in {' < '.join(frames)}"


# ---------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------
def render_text(r: dict[str, Any]) -> str:
    out = [f"== {r['dump']}",
           f"{r['nodename']}: SunOS {r['os']}, {r['kind']}, {r['procs']} processes, "
           f"{r['threads']} threads, {r['cpus']} CPUs" + (f", at {r['time']}" if r["time"] else "")]
    if "panic" in r:
        p = r["panic"]
        out.append(f"panic: {p['message'].rstrip()}")
        if r.get("forced"):
            out.append(f"  a forced dump ({p['kind']}): the system was sick before it; read as a hang")
        elif p["kind"] != "other":
            params = ", ".join(f"{k}={v:#x}" if k == "type" else f"{k}={v}" for k, v in p.items()
                               if k in PANIC_PARAMETERS)
            out.append(f"  kind: {p['kind']}" + (f" ({params})" if params else ""))
        out.append(f"  on CPU {p['cpu']}, thread {p['thread']} ({p['process']})")
        if not r.get("forced"):
            out.append(f"  faulting frame: {p['fault_frame']} in module {p['fault_module']}")
        out.append("  stack: " + " < ".join(p["stack"][:10]))
    for i, cyc in enumerate(r["deadlocks"], 1):
        out.append(f"DEADLOCK {i}: a cycle of {len(cyc)} threads")
        for d in cyc:
            out.append(f"  {d['thread']} {d['process']}/{d['pid']} in {d['function']} waits for "
                       f"{d['object']} {d['waits_for']}, held by {d['held_by']}")
    for c in r["wait_chains"]:
        if len(c) > 2:
            out.append("wait chain: " + " -> ".join(c))
    if r["contended"]:
        out.append("most contended:")
        for c in r["contended"]:
            owner = f", owner {c['owner']}" if c["owner"] else ""
            n = c["waiters"]
            out.append(f"  {c['addr']} {c['type']} {c['name'] or ''}: {n} waiter{'s' * (n != 1)}{owner}")
    for o in r["on_cpu"]:
        out.append(f"on CPU {o['cpu']}: {o['thread']} {o['process']}/{o['pid']}: "
                   + " < ".join(o["stack"][:5]))
    for a in r["anomalies"]:
        out.append(f"anomaly: {a}")
    mem = r.get("memory")
    if mem is not None:
        for lk in mem["leaks"][:3]:
            out.append(f"leak: {lk['count']} {lk['cache']} buffers ({lk['bytes']} bytes) from "
                       + " < ".join(lk["stack"][:3] or [lk["caller"]]))
        if mem.get("corruption"):
            c = mem["corruption"]
            out.append(f"heap corruption: {c['cache']} buffer {c['buffer']}"
                       + (f" freed by {' < '.join(c['freed_by'][:3])}" if c["freed_by"] else ""))
    if r["blocked_groups"]:
        out.append("blocked on locks and semaphores:")
        for g in r["blocked_groups"][:3]:
            out.append(f"  {g['count']:6d} {g['state']:<7} {(g['sobj'] or '-'):<6} "
                       + " < ".join(doing(g["stack"], 4)))
    if r["stack_groups"]:
        out.append("top stacks:")
        for g in r["stack_groups"][:3]:
            out.append(f"  {g['count']:6d} {g['state']:<7} {(g['sobj'] or '-'):<6} "
                       + " < ".join(doing(g["stack"], 4)))
    for m in r["messages"][-5:]:
        out.append(f"message: {m.strip()}")
    out.append(f"signature: {r['signature']['hash']}  {r['signature']['text']}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# many dumps
# ---------------------------------------------------------------------------
def _analyse_path(path: str, limits: Limits | None = None, pictures: bool = False) -> dict[str, Any]:
    from kdb.target.kernel import open_dump
    from kdb.target.dump import release_dump
    try:
        target = open_dump(path, limits=limits, freeze=False)
        dump = target.dump
    except KdbError as e:
        return {"dump": path, "error": str(e)}
    try:
        return analyse(dump, target, pictures)
    except Exception as e:   # one dump's trouble is one failed row; the others go on
        return {"dump": path, "error": f"internal error analysing it: {type(e).__name__}: {e}"}
    finally:
        release_dump(dump, collect=False)    # one process, many dumps: keep its memory flat


def run_on_dask(url: str, files: list[str], limits: Limits | None = None,
                pictures: bool = False) -> list[dict[str, Any]]:
    """Analyse FILES on the Dask cluster whose scheduler is at dask://HOST:PORT.

    The workers need kdb installed and the dumps at the same paths (shared
    storage), as a fleet's dump archive normally is; reports keep the names
    the caller gave.
    """
    try:
        from distributed import Client
    except ImportError:
        raise KdbError("--executor dask:// needs the cluster extra: pip install 'kdb[cluster]'") from None
    address = "tcp://" + url[len("dask://"):]
    try:
        client = Client(address, timeout=10, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise KdbError(f"cannot reach the Dask scheduler at {url}: {e}") from None
    except (ValueError, TypeError) as e:     # a malformed address
        raise KdbError(f"--executor {url!r} is not an address dask:// can reach: {e}") from None
    try:
        absolute = [os.path.abspath(f) for f in files]
        reports = client.gather(client.map(_analyse_path, absolute, [limits] * len(absolute),
                                           [pictures] * len(absolute), pure=False))
    finally:
        client.close()
    for given, r in zip(files, reports):
        r["dump"] = given
    return reports


def buckets(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for r in reports:
        if "error" in r:
            continue
        sig = r["signature"]
        b = table.setdefault(sig["hash"], {"hash": sig["hash"], "signature": sig["text"], "count": 0,
                                           "examples": [], "first_seen": None, "last_seen": None})
        b["count"] += 1
        if len(b["examples"]) < 3:
            b["examples"].append(os.path.basename(r["dump"]))
        t = r.get("time")
        if t:
            b["first_seen"] = min(b["first_seen"] or t, t)
            b["last_seen"] = max(b["last_seen"] or t, t)
    return sorted(table.values(), key=lambda b: (-b["count"], b["hash"]))


USAGE = """\
usage: kdb triage [--jobs N | --executor dask://HOST:PORT] [--format text|json]
                  [--fail-on deadlock,panic,hang] [--html FILE] [--since STATE]
                  [--max-dump-bytes N] [--max-depth N] [--max-string N] DUMP|DIR...

Analyse dumps: what happened, the signature of the bug, and with several
dumps a table of buckets. --html FILE also writes one self-contained page
with each dump's findings, a flame graph of its stacks and the wait-for
graph of its locks. --since STATE reports only the buckets STATE (a JSON
file, made if missing) has not seen, then records them there. Exit status:
0 analysed, 1 some dumps failed to load, 2 usage, 3 a --fail-on finding
was present.
"""


#: dask://HOST:PORT: a host name, an IPv4 address or a bracketed IPv6 one
_DASK_ADDRESS = re.compile(r"dask://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}")


class _Usage(Exception):
    """A bad command line: the message names the argument."""


def main(argv: list[str]) -> int:
    args = list(argv)
    jobs, fmt, fail_on, paths = 1, "text", set(), []
    executor: str | None = None
    html: str | None = None
    since: str | None = None
    given: dict[str, int] = {}

    def value(i: int, opt: str) -> str:
        if i + 1 >= len(args):
            raise _Usage(f"{opt} needs a value")
        return args[i + 1]

    try:
        i = 0
        while i < len(args):
            a = args[i]
            if a in ("-h", "--help", "-?"):
                sys.stdout.write(USAGE)
                return 0
            took = take_option(args, i, given)
            if took:
                i += took
            elif a in ("--jobs", "-j"):
                v = value(i, a)
                if not v.isdigit() or int(v) < 1:
                    raise _Usage(f"--jobs {v!r}: give a whole number of processes, 1 or more")
                jobs = int(v)
                i += 2
            elif a == "--format":
                fmt = value(i, a)
                if fmt not in ("text", "json"):
                    raise _Usage(f"--format {fmt!r}: triage writes text or json")
                i += 2
            elif a == "--fail-on":
                fail_on = set(value(i, a).split(","))
                bad = sorted(fail_on - set(FAIL_ON))
                if bad:
                    raise _Usage(f"--fail-on {','.join(bad)!r}: choose from {','.join(FAIL_ON)}")
                i += 2
            elif a == "--html":
                html = value(i, a)
                i += 2
            elif a == "--since":
                since = value(i, a)
                i += 2
            elif a == "--executor":
                executor = value(i, a)
                if not _DASK_ADDRESS.fullmatch(executor):
                    raise _Usage(f"--executor {executor!r}: give dask://HOST:PORT")
                i += 2
            elif a.startswith("-") and a != "-":
                raise _Usage(f"unknown option {a!r}")
            else:
                paths.append(a)
                i += 1
        if not paths:
            raise _Usage("give at least one dump or directory")
    except _Usage as e:
        sys.stderr.write(f"kdb triage: {e}\n{USAGE}")
        return 2
    try:
        files = dump_files(paths)
    except KdbError as e:
        sys.stderr.write(f"kdb triage: {e}\n")
        return 1
    limits = Limits.from_env(**given)
    if executor is not None:
        try:
            reports = run_on_dask(executor, files, limits, html is not None)
        except KdbError as e:
            sys.stderr.write(f"kdb: {e}\n")
            return 1
    elif jobs == 1 or len(files) == 1:
        reports = [_analyse_path(f, limits, html is not None) for f in files]
    else:
        # never more workers than dumps
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(files))) as ex:
            reports = list(ex.map(_analyse_path, files, [limits] * len(files), [html is not None] * len(files)))
    failed = [r for r in reports if "error" in r]
    table = buckets(reports)
    if html is not None:
        from kdb.apps.report_html import page
        from kdb.statefiles import atomic_write
        from pathlib import Path
        texts = [render_text(r) if "error" not in r else "" for r in reports]
        try:
            atomic_write(Path(html), page(reports, table, texts))
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(html, 0o666 & ~mask)       # a report to share, not a private state file
        except OSError as e:
            sys.stderr.write(f"kdb triage: {html}: {e.strerror or e}\n")
            return 1
        for r in reports:
            r.pop("folded", None)
            r.pop("graph", None)
    if since is not None:
        from kdb.apps.triage_state import load_state, new_buckets, save_state
        try:
            known = load_state(since)
        except KdbError as e:
            sys.stderr.write(f"kdb triage: {e}\n")
            return 1
        fresh = new_buckets(table, known)
        try:
            save_state(since, known, table)
        except OSError as e:
            sys.stderr.write(f"kdb triage: {since}: {e.strerror or e}\n")
            return 1
        keep = {b["hash"] for b in fresh}
        table = fresh
        reports = [r for r in reports if "error" in r or r["signature"]["hash"] in keep]
    if fmt == "json":
        sys.stdout.write(json.dumps({"kdb_triage": 1, "dumps": reports, "buckets": table}, indent=1) + "\n")
    else:
        for r in reports:
            if "error" in r:
                sys.stdout.write(f"== {r['dump']}\nfailed to load: {r['error']}\n\n")
            else:
                sys.stdout.write(render_text(r) + "\n")
        if len(files) > 1:
            sys.stdout.write(f"{'SIGNATURE':<12} {'COUNT':>5}  {'FIRST SEEN':<20} {'LAST SEEN':<20} "
                             "EXAMPLES / DESCRIPTION\n")
            for b in table:
                sys.stdout.write(f"{b['hash']:<12} {b['count']:>5}  {(b['first_seen'] or '-'):<20} "
                                 f"{(b['last_seen'] or '-'):<20} {', '.join(b['examples'])}\n"
                                 f"{'':<12} {'':>5}  {b['signature']}\n")
    findings = set()
    for r in reports:
        if "error" in r:
            continue
        if r["deadlocks"]:
            findings.add("deadlock")
        if "panic" in r:
            findings.add("panic")
        if r["kind"] == "hang":
            findings.add("hang")
    if failed:
        return 1
    if fail_on & findings:
        return 3
    return 0
