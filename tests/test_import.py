"""kdb import: captures cut into commands, outputs read back into a dump
whose replay prints the captured text byte for byte (docs/import.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pathlib import Path

from hypothesis import given, settings, strategies as st

from kdb.engine.session import Session
from kdb.imports.capture import split
from kdb.target.dump import build_dump
from kdb.target.kernel import KernelTarget, open_dump

COMMANDS = ["::status", "::ps", "::msgbuf", "::walk thread | ::findstack -v", "::walk thread | ::findstack",
            "::threadlist", "::threadlist -v", "::panicinfo", "::cpuinfo -v", "::cpuinfo", "::modinfo",
            "::stacks", "::zone", "::ps -fzt", "::ps -l", "::walk wchan | ::wchaninfo -v", "::wchaninfo",
            "::walk thread | ::thread", "::prtconf"]


def _print(target, command: str) -> str:
    out: list[str] = []
    s = Session(target, write=out.append, write_err=out.append)
    s.run_string(command + "\n")
    s.out.nlflush()
    return "".join(out)


def kdb(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kdb", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("name", ["jurassic", "panic", "deadlock", "donutshop", "tqstall", "audioglitch",
                                  "rwstarve", "nfshang", "uaf", "leak", "tests/data/panic-snv.json"])
def test_the_text_kdb_prints_imports_and_replays_identically(name, tmp_path):
    original = open_dump(name)
    printed = {c: _print(original, c) for c in COMMANDS}
    capture = "".join(f"> {c}\n{text}" for c, text in printed.items())
    (tmp_path / "cap.txt").write_text(capture)
    r = kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0, r.stderr
    imported = KernelTarget(build_dump(json.loads((tmp_path / "d.json").read_text())))
    for c in COMMANDS:
        assert _print(imported, c) == printed[c], c


@pytest.mark.parametrize("name", ["jurassic", "panic", "deadlock"])
def test_stacks_alone_synthesizes_the_threads_each_group_counts(name, tmp_path):
    original = open_dump(name)
    printed = {c: _print(original, c) for c in ("::status", "::stacks")}
    (tmp_path / "cap.txt").write_text("".join(f"> {c}\n{text}" for c, text in printed.items()))
    assert kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json")).returncode == 0
    d = json.loads((tmp_path / "d.json").read_text())
    imported = KernelTarget(build_dump(d))
    assert _print(imported, "::stacks") == printed["::stacks"]
    made = [t for p in d["procs"] for t in p["threads"] if "synthesized" in " ".join(t["x_import"])]
    assert len(made) == len(original.dump.threads)          # ::stacks alone shows every thread as a count


@pytest.mark.parametrize("name", ["panic", "uaf", "leak", "tests/data/panic-snv.json"])
@pytest.mark.parametrize("more", [(), ("::walk thread | ::findstack -v", "::threadlist", "::panicinfo",
                                         "::modinfo")])
def test_the_panic_threads_stack_alone_or_with_the_rest_replays(name, more, tmp_path):
    """$C, $c and ::stack print the panic thread's stack: alone, they make it
    (address invented); with ::panicinfo or the thread walk, they are its."""
    original = open_dump(name)
    commands = ("::status", "$C", "$c", "::stack", "$r", *more)
    printed = {c: _print(original, c) for c in commands}
    (tmp_path / "cap.txt").write_text("".join(f"> {c}\n{text}" for c, text in printed.items()))
    r = kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0, r.stderr
    imported = KernelTarget(build_dump(json.loads((tmp_path / "d.json").read_text())))
    for c in commands:
        assert _print(imported, c) == printed[c], c


def test_a_mutex_and_its_owner_replay(tmp_path):
    original = open_dump("deadlock")
    commands = ("::status", "::walk thread | ::findstack -v", "::threadlist", "::stacks",
                "ffffff01e3f20c08::mutex", "ffffff01e3f21410::mutex")
    printed = {c: _print(original, c) for c in commands}
    (tmp_path / "cap.txt").write_text("".join(f"> {c}\n{text}" for c, text in printed.items()))
    assert kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json")).returncode == 0
    imported = KernelTarget(build_dump(json.loads((tmp_path / "d.json").read_text())))
    for c in commands:
        assert _print(imported, c) == printed[c], c


@pytest.mark.parametrize("more", [(), ("::walk thread | ::findstack -v",)])
def test_an_rwlock_its_readers_and_its_waiters_replay(more, tmp_path):
    """::rwlock alone makes its waiters (asleep on it, in the thread order
    its reversed listing implies); with the thread walk they are the walk's."""
    original = open_dump("rwstarve")
    commands = ("::status", *more, "ffffff01e8c43e70::rwlock")
    printed = {c: _print(original, c) for c in commands}
    (tmp_path / "cap.txt").write_text("".join(f"> {c}\n{text}" for c, text in printed.items()))
    assert kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json")).returncode == 0
    d = json.loads((tmp_path / "d.json").read_text())
    assert d["sobjs"] == [{"addr": "0xffffff01e8c43e70", "type": "rwlock", "writer": None, "readers": 3,
                           "write_wanted": True}]
    imported = KernelTarget(build_dump(d))
    for c in commands:
        assert _print(imported, c) == printed[c], c
    if more:        # ::stacks was not captured: the SOBJ column comes from the blocking frames
        assert _print(imported, "::stacks") == _print(original, "::stacks")


def test_a_subtree_of_prtconf_merges_with_the_whole_tree(tmp_path):
    original = open_dump("jurassic")
    commands = ("ffffff0930a4f110::prtconf", "::prtconf")
    printed = {c: _print(original, c) for c in commands}
    (tmp_path / "cap.txt").write_text("".join(f"> {c}\n{text}" for c, text in printed.items()))
    assert kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json")).returncode == 0
    imported = KernelTarget(build_dump(json.loads((tmp_path / "d.json").read_text())))
    for c in commands:
        assert _print(imported, c) == printed[c], c
    (tmp_path / "cap.txt").write_text("> ::prtconf\nDEVINFO          NAME\n"
                                      "ffffff0930a67980 i86pc, instance #0 (driver name: rootnex)\n"
                                      "        ffffff0930a52cc8 sd, instance #0 (driver name: sd)\n")
    r = kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json"))
    assert "cap.txt:4: skipped: ::prtconf: a node deeper than the node above it allows" in r.stderr


@pytest.mark.parametrize("commands", [("::stacks -a",), ("::stacks", "::stacks -c swtch"),
                                      ("::stacks -m unix", "::stacks -a -t sleep")])
def test_stacks_with_options_replays_and_a_lists_every_thread(commands, tmp_path):
    """-a names every thread of a group (none is invented); the filters
    select whole groups, which merge with the unfiltered listing."""
    original = open_dump("deadlock")
    commands = ("::status", *commands)
    printed = {c: _print(original, c) for c in commands}
    (tmp_path / "cap.txt").write_text("".join(f"> {c}\n{text}" for c, text in printed.items()))
    r = kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0 and "skipped" not in r.stderr, r.stderr
    d = json.loads((tmp_path / "d.json").read_text())
    imported = KernelTarget(build_dump(d))
    for c in commands:
        assert _print(imported, c) == printed[c], c
    if commands[1] == "::stacks -a":
        threads = {t["addr"] for p in d["procs"] for t in p["threads"]}
        assert threads == {f"0x{t.addr:x}" for t in original.dump.threads}


def test_two_stacks_listings_that_disagree_are_refused(tmp_path):
    text = _print(open_dump("deadlock"), "::stacks -c acct_lock_entry")
    changed = text.replace("MUTEX                   6", "MUTEX                   7", 1)
    assert changed != text
    (tmp_path / "cap.txt").write_text(f"> ::stacks -c acct_lock_entry\n{text}> ::stacks\n{changed}")
    r = kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 1 and "the ::stacks group of thread ffffff01e4a30cc0: line 3 says '6 sleep" in r.stderr


def test_a_kmdb_session_replays_with_its_stopped_cpu_and_its_registers(tmp_path):
    """kmdb's banner says where it stopped; its prompt [N]> the CPU; $r
    there gives that CPU's registers (and places kmdb_enter)."""
    def run(*args: str) -> str:
        return kdb(*args).stdout
    banner = "kmdb: target stopped at:\nkmdb_enter+0xb: movq   %rax,%rdi\n"
    commands = ["::status", "$r", "::cpuinfo -v", "::ps", "::threadlist", "::walk thread | ::findstack -v"]
    outs = {c: run("-K", "-e", c, "jurassic")[len(banner):] for c in commands}
    (tmp_path / "cap.txt").write_text(banner + "".join(f"[12]> {c}\n{o}" for c, o in outs.items()))
    r = kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0, r.stderr
    d = json.loads((tmp_path / "d.json").read_text())
    assert d["kmdb"] == {"cpu": 12, "pc": "kmdb_enter+0xb", "instr": "movq   %rax,%rdi"}
    for c in commands:
        assert run("-K", "-e", c, str(tmp_path / "d.json")) == banner + outs[c], c


@pytest.mark.parametrize("name", ["deadlock", "tests/data/panic-snv.json"])
def test_thread_with_its_option_sets_replays(name, tmp_path):
    """::thread -p -b -d -s, a line per set or merged (-m): -p places each
    thread in its process, -b gives its wait channel and sync object type."""
    original = open_dump(name)
    commands = ("::status", "::ps", "::walk thread | ::findstack -v", "::walk thread | ::thread -pb",
                "::walk thread | ::thread -mpbd", "::walk thread | ::thread -bsdp")
    printed = {c: _print(original, c) for c in commands}
    (tmp_path / "cap.txt").write_text("".join(f"> {c}\n{text}" for c, text in printed.items()))
    r = kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0 and "skipped" not in r.stderr, r.stderr
    imported = KernelTarget(build_dump(json.loads((tmp_path / "d.json").read_text())))
    for c in commands:
        assert _print(imported, c) == printed[c], c


def test_what_the_capture_did_not_show_is_marked():
    d = json.loads(kdb("import", "-", "-o", "/dev/stdout", stdin="> ::walk thread | ::findstack\n"
                       "stack pointer for thread ffffff01e4a286c0 (mydrvstat/1): ffffff0008281c80\n"
                       "  ffffff0008281cc0 vpanic()\n").stdout)
    (proc,) = [p for p in d["procs"] if p["comm"] == "mydrvstat"]
    assert proc["x_import"] and proc["threads"][0]["x_import"]
    assert d["system"]["x_import"] == ["nodename: the capture has no ::status",
                                       "version: the capture has no ::status; its layouts are illumos's"]


def test_prompts_shell_lines_and_here_documents_are_commands_and_the_rest_is_noise():
    text = ("Last login: today\n"
            "> ::status\nline a\n"
            "[3]> ::ps\nline b\n"
            "# echo '::msgbuf' | mdb -k\nline c\n"
            "$ echo \"::stacks; ::ps\" | mdb -k\nlost\n"
            "# mdb -k <<EOF\n::walk thread | ::findstack -v\nEOF\nline d\n")
    cut = split(text)
    assert [(b.command, b.output, b.line) for b in cut.blocks] == [
        ("::status", ["line a"], 2), ("::ps", ["line b"], 4), ("::msgbuf", ["line c"], 6),
        ("::walk thread | ::findstack -v", ["line d"], 10)]
    assert [n for n, _ in cut.noise] == [1, 8, 9]     # the shell line of two commands, its output


def test_unknown_commands_are_reported_and_contradictions_refused(tmp_path):
    cap = tmp_path / "c.txt"
    cap.write_text("> ::status\ndebugging crash dump vmcore.0 (64-bit) from a\n"
                   "> ::frobnicate\nwhatever\n"
                   "> ::status\ndebugging crash dump vmcore.0 (64-bit) from b\n")
    r = kdb("import", str(cap), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 1
    assert r.stderr == (f"kdb import: refused: {cap}: the system nodename: line 2 says 'a', "
                        "line 6 says 'b'\n")
    cap.write_text("> ::status\ndebugging crash dump vmcore.0 (64-bit) from a\n> ::frobnicate\nwhatever\n")
    r = kdb("import", str(cap), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0 and r.stderr == f"{cap}:3: skipped: kdb does not import the output of '::frobnicate'\n"
    assert kdb("import", str(cap)).returncode == 2


def test_triage_signs_an_imported_panic_as_it_signs_the_dump(tmp_path):
    original = open_dump("panic")
    capture = "".join(f"> {c}\n{_print(original, c)}" for c in ("::status", "::walk thread | ::findstack -v"))
    (tmp_path / "cap.txt").write_text(capture)
    assert kdb("import", str(tmp_path / "cap.txt"), "-o", str(tmp_path / "d.json")).returncode == 0
    sig = [json.loads(kdb("triage", "--format", "json", d).stdout)["dumps"][0]["signature"]["text"]
           for d in ("panic", str(tmp_path / "d.json"))]
    assert sig[0] == sig[1] and "mydrv_ioctl" in sig[0]


def test_the_published_kmdb_session_of_the_seed_imports_and_replays(tmp_path):
    """A real capture (tests/data/captures/seed-jurassic-kmdb.txt, quoted in
    a 2008 blog post): its noise and its cut frame are reported, and its one
    pipeline replays on the import with the frames, pid and arguments it
    shows (the blog lost the two-space indentation; a wrapped frame's last
    argument is gone)."""
    cap = Path(__file__).parent / "data" / "captures" / "seed-jurassic-kmdb.txt"
    r = kdb("import", str(cap), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0, r.stderr
    assert f"{cap}:12: skipped: ::findstack: a frame's arguments are cut off" in r.stderr
    assert f"{cap}:21: skipped: kdb does not import the output of 'e4::major2name'" in r.stderr
    text = cap.read_text().splitlines()
    start = text.index("> 0t100015::pid2proc | ::walk thread | ::findstack -v")
    captured = [x.strip() for x in text[start + 1:start + 11]]
    imported = KernelTarget(build_dump(json.loads((tmp_path / "d.json").read_text())))
    replay = [x.strip() for x in _print(imported, text[start][2:]).splitlines()]
    assert len(replay) == len(captured)
    for got, want in zip(replay, captured):
        assert got == want or (want.endswith(",") and got.startswith(want[:-1])), (got, want)


CAPTURES = Path(__file__).parent / "data" / "captures"


@pytest.mark.parametrize("name, commands", [
    ("smartos-mdb-ke-findstack.txt", {"0t41207::pid2proc |::walk thread |::findstack -v": (6, 18),
                                      "::status": (20, 21)}),
    ("live-cpuinfo-stacks.txt", {"::cpuinfo": (2, 4), "::stacks": (6, 53)})])
def test_captures_in_the_shapes_of_published_tickets_replay(name, commands, tmp_path):
    """Captures in the shapes real tickets show (tests/data/captures/SOURCES.md):
    a SmartOS shell prompt, pstack's output and ``mdb -ke`` lines; a live
    system's ::cpuinfo and a ::stacks whose frames end without offsets.
    Each command replays byte for byte and triage reads the import."""
    cap = CAPTURES / name
    r = kdb("import", str(cap), "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0, r.stderr
    lines = cap.read_text().splitlines()
    imported = KernelTarget(build_dump(json.loads((tmp_path / "d.json").read_text())))
    for command, (first, last) in commands.items():
        want = "\n".join(lines[first - 1:last]) + "\n"
        assert _print(imported, command) == want, command
    t = kdb("triage", "--format", "json", str(tmp_path / "d.json"))
    assert t.returncode == 0 and json.loads(t.stdout)["dumps"][0]["signature"]["text"]


def test_shell_prompts_and_mdb_e_lines_are_cut_and_other_shell_commands_end_a_block():
    cut = split("[root@nuc ~]# pstack 1\n1:  init\n"
                "[root@nuc ~]# mdb -ke \"0t1::pid2proc |::walk thread |::findstack -v\"\nstack a\n"
                "root@host:~# mdb -k -e '::ps'\nps out\n"
                "bash-3.2# mdb -ke ::status\nstatus out\n"
                "[root@nuc ~]# \n"
                "% mdb -e '::msgbuf' unix.0 vmcore.0\nmsg\n$ ls\nfile\n")
    assert [(b.command, b.output) for b in cut.blocks] == [
        ("0t1::pid2proc |::walk thread |::findstack -v", ["stack a"]), ("::ps", ["ps out"]),
        ("::status", ["status out"]), ("::msgbuf", ["msg"])]
    assert cut.noise == [(1, "a shell command, not mdb's"), (2, "output of the shell command at line 1"),
                         (9, "a shell command, not mdb's"), (12, "a shell command, not mdb's"),
                         (13, "output of the shell command at line 12")]


LINES = ["> ::status", "> ::ps -fzt", "> ::walk thread | ::findstack -v", "> ::stacks", "[3]> ::threadlist -v",
         "> ::wchaninfo -v", "> ::cpuinfo -v", "> ::zone", "> $C", "# echo '::msgbuf' | mdb -k",
         "debugging crash dump vmcore.0 (64-bit) from x", "panic message: \x1b[2Jboom",
         "stack pointer for thread ffffff01e4a286c0 (a/1): ffffff0008281c80",
         "stack pointer for thread ffffff01e4a286c0: 0", "[ ffffff0008281c80 swtch+0x1() ]",
         "  ffffff0008281cc0 vpanic()", "  ffffff0008281d00 cv_wait+0x70(ffffff01d0b10032)",
         "R 1 0 1 1 0 0x4a004000 ffffff01d2b31a48 init", "        T  0xffffff01e4a106e0 <TS_SLEEP>",
         "ffffff01d2b31a48 1 cond 1:  ffffff01e4a106e0 init", "ffffff0007c06c40 SLEEP    CV   3",
         "                 swtch+0x141", "  0 fffffffffbc3d240  1b    0    0  -1   no    no t-89   0 (idle)",
         "fffffffffbc2b480    0 running       global              /", "ffffffffffffffffffff vpanic()"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=40)), max_size=30))
def test_any_capture_imports_or_is_refused_cleanly(lines):
    """Hostile or garbled captures: import gives a dump that loads, or says
    why not (a contradiction, nothing to import, a dump the loader refuses
    with its path and rule); never an exception of another kind."""
    from kdb.apps.importer import import_text
    from kdb.imports.facts import Contradiction
    from kdb.target.dump import DumpError
    try:
        dump, report = import_text([("c", "\n".join(lines))])
    except (Contradiction, ValueError):
        return
    assert all(isinstance(x, str) for x in report)
    try:
        build_dump(json.loads(json.dumps(dump)))
    except DumpError as e:
        assert e.path.startswith("$") and e.rule


def test_control_bytes_in_a_capture_never_reach_the_terminal(tmp_path):
    """A capture is untrusted: its escape sequences end up in the dump's
    strings and in import's report, and leave kdb only escaped (the bytes
    written, checked)."""
    cap = tmp_path / "c.txt"
    cap.write_bytes(b"> ::status\ndebugging crash dump vmcore.0 (64-bit) from x\n"
                    b"panic message: \x1b]0;pwned\x07\x1b[2J boom\n> ::bogus\x1b[31m\n\x9b31m\n")
    r = subprocess.run([sys.executable, "-m", "kdb", "import", str(cap), "-o", str(tmp_path / "d.json")],
                       capture_output=True, timeout=120)
    assert r.returncode == 0
    s = subprocess.run([sys.executable, "-m", "kdb", "-e", "::status", str(tmp_path / "d.json")],
                       capture_output=True, timeout=120)
    for out in (r.stderr, s.stdout, s.stderr):
        assert not any(b in out for b in (b"\x1b", b"\x07", b"\x9b", "\x9b".encode()))
    assert b"boom" in s.stdout
