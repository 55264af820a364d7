#!/usr/bin/env python3
"""kdb's benchmarks: every case against a baseline, on the same file, in the same run.

    make bench                          # 10,000 and 100,000 threads
    make bench BENCHFLAGS=--big         # and 1,000,000 threads
    python benchmarks/run.py --runs 5 --sizes 10000,100000 [--big] [--no-append]

Dumps come from the seeded generator (``kdb.tools.gen``, seed 42) and are cached in
``benchmarks/data/``. Each command runs once to warm the file cache and the
bytecode cache, then ``--runs`` times; the table gives medians of wall time
and the peak RSS of each process (from ``wait4``). Results are printed and
appended to ``benchmarks/RESULTS.md`` with the machine and the commit.
Absolute times vary between machines; the ratios are what the targets bind.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
PY = sys.executable
KDB = [PY, "-m", "kdb"]
JSON_LOAD = [PY, "-c", "import gc,json,sys; gc.disable(); json.load(open(sys.argv[1]))"]
JQ_GROUP = ('[.procs[].threads[]? | [.stack[]? | if type == "string" then . else .pc end'
            ' | sub("\\\\+.*$"; "")]] | group_by(.) | map(length) | length')

# case -> (maximum ratio to its baseline, or an absolute limit in seconds)
TARGETS = {
    "load": ("ratio", 1.0), "load-rss": ("ratio", 1.0), "reopen": ("ratio", 0.3),
    "stacks-vs-jq": ("ratio", 0.5), "stacks-vs-open": ("ratio", 2.0),
    "pipeline": ("ratio", 2.0), "long walk": ("ratio", 2.0), "startup": ("ratio", 4.0),
    "completion": ("abs", 0.050),
}


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of measured commands: bytecode caching on, as
    installed; the dump cache off unless EXTRA turns it on (the first-open
    and reopen cases)."""
    e = dict(os.environ)
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e["KDB_CACHE"] = "off"
    e.update(extra or {})
    return e


GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def run_once(cmd: list[str] | str, stdout=subprocess.DEVNULL,
             extra: dict[str, str] | None = None) -> tuple[float, int | None]:
    """Wall time and peak RSS (KB) of one run of ``cmd``.

    The peak RSS comes from GNU time, which forks the command itself: a
    process forked from this (larger) harness would inherit its high-water
    mark. Without /usr/bin/time the RSS columns say n/a.
    """
    argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
    rss_file = None
    if GNU_TIME:
        fd, rss_file = tempfile.mkstemp(prefix="kdb-bench-")
        os.close(fd)
        argv = [GNU_TIME, "-f", "%M", "-o", rss_file] + argv
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, env=env(extra))
    dt = time.perf_counter() - t0
    rss = None
    if rss_file:
        try:
            rss = int(Path(rss_file).read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            rss = None
        os.unlink(rss_file)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd!r} failed with status {p.returncode}: "
                           f"{p.stderr.decode(errors='replace')[:400]}")
    return dt, rss


def measure(cmd: list[str] | str, runs: int) -> tuple[float, int | None]:
    run_once(cmd)  # warm-up: file cache, bytecode cache
    samples = [run_once(cmd) for _ in range(runs)]
    rss = [r for _, r in samples if r is not None]
    return statistics.median(s[0] for s in samples), (max(rss) if rss else None)


def _cache_env(directory: str) -> dict[str, str]:
    """The cache on, in DIRECTORY, for dumps of any size (--tiny's too)."""
    return {"KDB_CACHE": "on", "KDB_CACHE_DIR": directory, "KDB_CACHE_MIN_BYTES": "0"}


def _wait_for_cache(directory: str, timeout: float = 120.0) -> None:
    """Wait for the background writer of a first open to finish, so that it
    does not share the cores with the next measured run."""
    deadline = time.monotonic() + timeout
    while not list(Path(directory).glob("*.kdbc")) and time.monotonic() < deadline:
        time.sleep(0.05)


def measure_first_open(cmd: list[str], runs: int) -> tuple[float, int | None]:
    """A never-seen dump, as a user first opens it: the cache on, and empty
    (each run gets a new directory, and the cache the run writes in the
    background is waited for before the next run)."""
    samples = []
    for i in range(runs + 1):           # the first is the warm-up
        d = tempfile.mkdtemp(prefix="kdb-bench-cache-")
        try:
            sample = run_once(cmd, extra=_cache_env(d))
            _wait_for_cache(d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        if i:
            samples.append(sample)
    rss = [r for _, r in samples if r is not None]
    return statistics.median(s[0] for s in samples), (max(rss) if rss else None)


def measure_reopen(cmd: list[str], runs: int) -> tuple[float, int | None]:
    """The same unchanged dump opened again: its cache written by a first open."""
    d = tempfile.mkdtemp(prefix="kdb-bench-cache-")
    try:
        run_once(cmd, extra=_cache_env(d))
        _wait_for_cache(d)
        samples = [run_once(cmd, extra=_cache_env(d)) for _ in range(runs)]
    finally:
        shutil.rmtree(d, ignore_errors=True)
    rss = [r for _, r in samples if r is not None]
    return statistics.median(s[0] for s in samples), (max(rss) if rss else None)


#: the kind of generated dump: "realistic" (frames with fp and arguments,
#: many stack shapes, symbol tables; the default) or "compact" (bare
#: "func+0x1f" frames, one shape per family: the dumps of earlier runs)
FRAMES = ["realistic"]


def make_dump(threads: int) -> Path:
    DATA.mkdir(exist_ok=True)
    realistic = FRAMES[0] == "realistic"
    path = DATA / f"gen-{threads}-s42{'-realistic' if realistic else ''}.json"
    if not path.exists():
        procs = max(1, threads // 100)
        t0 = time.perf_counter()
        subprocess.run([PY, "-m", "kdb.tools.gen", "--procs", str(procs), "--threads", str(threads),
                        "--seed", "42", "-o", str(path)] + (["--realistic"] if realistic else []),
                       check=True, env=env())
        print(f"  generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t0:.1f}s", flush=True)
    return path


def completion_latency(dump: Path, samples: int = 15) -> float:
    """Median time from a Tab keystroke to the completion menu, in-process.

    A real prompt_toolkit PromptSession runs on a pipe input with a dummy
    output over a session on ``dump``; we type ``::pg``, press Tab and wait
    until the buffer's completion state holds the completions (or, with one
    candidate, until it is inserted).
    """
    from prompt_toolkit import PromptSession
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from kdb.ui.completion import MdbCompleter
    from kdb.target.kernel import open_dump
    from kdb.engine.session import Session

    session = Session(open_dump(str(dump)), write=lambda s: None, write_err=lambda s: None)
    completer = MdbCompleter(session)
    times: list[float] = []

    async def one(text: str) -> float:
        with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
            ps: PromptSession = PromptSession(completer=completer, complete_while_typing=False)
            task = asyncio.ensure_future(ps.prompt_async("> "))
            await asyncio.sleep(0.02)
            inp.send_text(text)
            await asyncio.sleep(0.02)
            buf = ps.app.current_buffer
            t0 = time.perf_counter()
            inp.send_text("\t")
            # a menu (several candidates) or the candidate inserted (one)
            while not (buf.complete_state and buf.complete_state.completions) and buf.text == text:
                await asyncio.sleep(0.0002)
                if time.perf_counter() - t0 > 5:
                    raise RuntimeError("no completion menu within 5 s")
            dt = time.perf_counter() - t0
            ps.app.exit(result="")
            await task
            return dt

    async def all_() -> None:
        for i in range(samples):
            times.append(await one(["::p", "::walk ", "cv_w", "::stacks -"][i % 4]))

    asyncio.run(all_())
    return statistics.median(times)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / (1 << 20)
    except (OSError, ValueError, IndexError):
        mem = 0
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
            f"{mem:.0f} GiB, Python {platform.python_version()}")


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Row:
    def __init__(self, case: str, target: str, kdb: float, base_name: str, base: float | None,
                 kdb_rss: int | None, base_rss: int | None, unit: str = "s") -> None:
        self.case, self.target_key, self.kdb, self.base_name = case, target, kdb, base_name
        self.base, self.kdb_rss, self.base_rss, self.unit = base, kdb_rss, base_rss, unit

    @property
    def ratio(self) -> float | None:
        return self.kdb / self.base if self.base else None

    def verdict(self) -> str:
        t = TARGETS.get(self.target_key)
        if t is None:
            return ""
        kind, limit = t
        if kind == "abs":
            return f"< {limit * 1000:.0f} ms: {'yes' if self.kdb < limit else 'NO'}"
        if self.ratio is None:
            return f"<= {limit}x: n/a"
        return f"<= {limit}x: {'yes' if self.ratio <= limit else 'NO'}"

    def cells(self) -> list[str]:
        def t(v: float | None) -> str:
            if v is None:
                return "n/a"
            return f"{v * 1000:.1f} ms" if self.unit == "ms" else f"{v:.3f} s"

        def m(v: int | None) -> str:
            return "" if v is None else f"{v / 1024:.0f} MB"
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}x"
        cells = [self.case, t(self.kdb), self.base_name, t(self.base), ratio, self.verdict(),
                 m(self.kdb_rss), m(self.base_rss)]
        return [c.replace("|", "\\|") for c in cells]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    ap.add_argument("--sizes", default="10000,100000", help="thread counts (default 10000,100000)")
    ap.add_argument("--big", action="store_true", help="also 1,000,000 threads (load and ::stacks)")
    ap.add_argument("--tiny", action="store_true", help="a quick smoke run on 1,000 threads")
    ap.add_argument("--no-append", action="store_true", help="do not append to RESULTS.md")
    ap.add_argument("--frames", choices=("realistic", "compact"), default="realistic",
                    help="generated dumps: realistic frames (default) or the compact ones")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"), help="results file")
    a = ap.parse_args(argv)
    FRAMES[0] = a.frames
    sizes = [1000] if a.tiny else [int(s) for s in a.sizes.split(",") if s]
    jq = shutil.which("jq")
    rows: list[Row] = []
    started = time.perf_counter()

    def add(row: Row) -> None:
        rows.append(row)
        print("  " + " | ".join(row.cells()), flush=True)

    for n in sizes:
        dump = make_dump(n)
        d = str(dump)
        print(f"{n} threads:", flush=True)
        kt, kr = measure_first_open(KDB + ["-e", "::status", d], a.runs)
        bt, br = measure(JSON_LOAD + [d], a.runs)
        add(Row(f"load {n}", "load", kt, "json.load (gc off)", bt, kr, br))
        rt, rr = measure_reopen(KDB + ["-e", "::status", d], a.runs)
        add(Row(f"reopen {n}", "reopen", rt, "json.load (gc off)", bt, rr, br))
        st, sr = measure(KDB + ["-e", "::stacks", d], a.runs)
        if jq:
            jt, jr = measure([jq, JQ_GROUP, d], a.runs)
            add(Row(f"::stacks {n}", "stacks-vs-jq", st, "jq group_by", jt, sr, jr))
        else:
            add(Row(f"::stacks {n}", "stacks-vs-jq", st, "jq (not installed)", None, sr, None))
        add(Row(f"::stacks {n}", "", st, "json.load (gc off)", bt, sr, br))
        pt, pr = measure(KDB + ["-e", "::walk thread | ::findstack", d], a.runs)
        ft, fr = measure([PY, str(HERE / "baselines" / "findstack.py"), d], a.runs)
        add(Row(f"pipeline {n}", "pipeline", pt, "findstack.py", ft, pr, fr))
    if a.big and not a.tiny:
        dump = make_dump(1_000_000)
        d = str(dump)
        print("1000000 threads:", flush=True)
        runs = max(1, min(a.runs, 3))
        kt, kr = measure_first_open(KDB + ["-e", "::status", d], runs)
        bt, br = measure(JSON_LOAD + [d], runs)
        add(Row("load 1000000", "load", kt, "json.load (gc off)", bt, kr, br))
        rt, rr = measure_reopen(KDB + ["-e", "::status", d], runs)
        add(Row("reopen 1000000", "reopen", rt, "json.load (gc off)", bt, rr, br))
        st, sr = measure(KDB + ["-e", "::stacks", d], runs)
        add(Row("::stacks 1000000", "stacks-vs-open", st, "kdb's open (::status)", kt, sr, kr))
    print("jurassic:", flush=True)
    walk = f"{PY} -m kdb -e 'e4::walk ddi_prop ! wc -l' jurassic"
    loop = (f"{PY} -c 'for i in range(262144): print(hex(0xffffff1790000000 + 0x30 * i))'"
            " | wc -l")
    wt, wr = measure(walk, a.runs)
    lt, lr = measure(loop, a.runs)
    add(Row("long walk (262,144)", "long walk", wt, "python loop | wc -l", lt, wr, lr))
    kt, kr = measure(KDB + ["-e", "::status", "jurassic"], a.runs)
    python3 = shutil.which("python3") or PY
    pt, pr = measure([python3, "-c", "pass"], a.runs)
    add(Row("startup", "startup", kt, "python3 -c pass", pt, kr, pr))
    bare, bare_rss = measure([PY, "-c", "pass"], a.runs)
    add(Row("startup", "", kt, f"{Path(PY).name} -c pass (no shim)", bare, kr, bare_rss))
    comp_dump = make_dump(1000 if a.tiny else 100_000)
    lat = completion_latency(comp_dump, samples=4 if a.tiny else 16)
    add(Row(f"completion (Tab to menu, {comp_dump.name})", "completion", lat, "", None, None, None,
            unit="ms"))
    elapsed = time.perf_counter() - started

    header = ["case", "kdb median", "baseline", "baseline median", "ratio", "target", "kdb peak RSS",
              "baseline peak RSS"]
    lines = [f"## Run of {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
             f"commit {commit()}", "",
             f"Dumps: {a.frames} frames (kdb-gen{' --realistic' if a.frames == 'realistic' else ''}). "
             f"Machine: {machine()}. Command: `python benchmarks/run.py "
             f"{' '.join(argv if argv is not None else sys.argv[1:])}`; {a.runs} runs per command "
             f"after a warm-up, medians; run took {elapsed:.0f} s.", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    # the RSS target of load: kdb's peak against json.load's
    for r in rows:
        lines.append("| " + " | ".join(r.cells()) + " |")
    for r in rows:
        if r.target_key == "load" and r.kdb_rss and r.base_rss:
            ok = r.kdb_rss <= r.base_rss
            lines.append(f"| {r.case} peak RSS | {r.kdb_rss / 1024:.0f} MB | json.load | "
                         f"{r.base_rss / 1024:.0f} MB | {r.kdb_rss / r.base_rss:.2f}x | "
                         f"<= 1.0x: {'yes' if ok else 'NO'} | | |")
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if not a.no_append:
        out = Path(a.out)
        if not out.exists():
            out.write_text("# Benchmark results\n\nAppended by `make bench` "
                           "(`benchmarks/run.py`); newest last.\n\n")
        with out.open("a") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
