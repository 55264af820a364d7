"""The one sanitising writer (kdb/output/sanitize.py): whatever a hostile dump
holds, the bytes kdb writes to stdout and stderr, through every subcommand,
hold no terminal control (C0 but tab and newline, DEL, C1), and a string the
encoding cannot hold (a lone surrogate) is escaped, not a crash."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

EVIL = "n\u001b]0;PWNED\u0007\u001b[2J\u009b31m\u007f"
BAD_BYTES = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


def _dump(tmp_path, **extra):
    d = {"kdb_dump": 1, "system": {"nodename": EVIL, "version": EVIL},
         "kmdb": {"cpu": 0, "pc": "swtch+0x10", "instr": "movq " + EVIL},
         "cpus": [{"id": 0}],
         "panic": {"message": "BAD TRAP " + EVIL, "cpu": 0, "thread": "0x2000"},
         "procs": [{"addr": "0x1000", "pid": 0, "comm": "A\udc9b31m" + EVIL, "psargs": EVIL,
                    "threads": [{"addr": "0x2000", "state": "onproc", "cpu": 0, "sp": "0x7000",
                                 "stack": ["swtch+0x10"]}]}],
         "msgbuf": [{"text": EVIL + "\n"}]}
    d.update(extra)
    f = tmp_path / "evil.json"
    f.write_text(json.dumps(d), encoding="utf-8")     # json.dumps escapes the surrogate
    return str(f)


def _kdb(*args):
    return subprocess.run([sys.executable, "-m", "kdb", *args], capture_output=True, timeout=120)


@pytest.mark.parametrize("args", [
    ["check", "{f}"], ["triage", "{f}"], ["triage", "--format", "json", "{f}"],
    ["-K", "-e", "::status", "{f}"], ["-e", "::ps; ::status; ::panicinfo; ::msgbuf", "{f}"],
    ["-e", "::ps -f ! cat", "{f}"], ["-e", "::walk proc | ::print proc_t p_user.u_comm", "{f}"],
    ["--format", "jsonl", "-e", "::ps", "{f}"], ["-e", "::nosuch" + EVIL, "{f}"],
    ["-e", '::walk proc | ::printf "%s %s\\n" proc_t p_user.u_comm p_user.u_psargs', "{f}"],
    ["-e", "::walk proc | ::printf \"" + EVIL + "%d\\n\" proc_t p_pidp->pid_id", "{f}"],
    ["-e", "::ptree", "{f}"],
])
def test_no_control_byte_reaches_the_output(tmp_path, args):
    f = _dump(tmp_path)
    r = _kdb(*[a.replace("{f}", f) for a in args])
    for name, data in (("stdout", r.stdout), ("stderr", r.stderr)):
        assert not BAD_BYTES.search(data), (args, name, data[:300])
        assert b"Traceback" not in data and b"internal error" not in data, (args, data[-300:])
    assert r.returncode in (0, 1), (args, r.returncode, r.stderr[-300:])


def test_the_surrogate_is_escaped_not_fatal(tmp_path):
    r = _kdb("-e", "::ps", _dump(tmp_path))
    assert r.returncode == 0 and b"A\\udc9b31m" in r.stdout


def test_memory_bytes_80_to_9f_print_escaped(tmp_path):
    f = _dump(tmp_path, memory=[{"addr": "0x9000", "hex": "41" + "9b" + "5b" + "32" + "4a" + "00"}])
    r = _kdb("-e", "9000/s; 9000,6/c", f)
    assert not BAD_BYTES.search(r.stdout), r.stdout
    assert b"\\x9b" in r.stdout


def test_a_xen_domain_status_escapes_too(tmp_path):
    """system.domain (a Xen domain image) changes ::status's first line and
    drops the panic lines: its node name still reaches the terminal escaped."""
    f = _dump(tmp_path)
    d = json.loads(open(f, encoding="utf-8").read())
    d["system"].update(dump="crash", domain=True, image_uuid=EVIL)
    (tmp_path / "evil.json").write_text(json.dumps(d), encoding="utf-8")
    r = _kdb("-e", "::status", f)
    assert r.returncode == 0 and r.stdout.startswith(b"debugging domain crash dump"), r.stderr
    assert not BAD_BYTES.search(r.stdout) and b"\\x1b" in r.stdout, r.stdout


def test_disassembly_names_print_escaped(tmp_path):
    """::dis and /i print symbol names from the dump (the instruction's
    own and a branch target's) through the same writer."""
    f = _dump(tmp_path, memory=[{"addr": "0xfffffffff7e00000", "hex": "e8fb0f0000c3"}],
              modules=[{"id": 1, "name": "m", "text": "0xfffffffff7e00000", "text_size": "0x2000",
                        "symbols": [{"name": "f" + EVIL, "addr": "0xfffffffff7e00000", "size": "0x6",
                                     "kind": "func"},
                                    {"name": "g" + EVIL, "addr": "0xfffffffff7e01000", "size": "0x10",
                                     "kind": "func"}]}])
    r = _kdb("-e", "0xfffffffff7e00000::dis; 0xfffffffff7e00000,2/i", f)
    for data in (r.stdout, r.stderr):
        assert not BAD_BYTES.search(data), data[:300]
    assert r.returncode == 0, r.stderr[-300:]
    assert b"call   +0xffb\t<gn\\x1b]0;PWNED\\x07" in r.stdout, r.stdout[:300]
