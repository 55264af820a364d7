"""Triage II: forced dumps read as hangs, panic kinds and their parameters,
folded stacks, the HTML report (in a real headless browser where Debian's
chromium is installed), and --since."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from kdb.analysis.panickinds import classify

ROOT = Path(__file__).resolve().parent.parent
FORCED = ["forced crash dump initiated at user request", "NMI received\n", "sync initiated",
          "deadman: timed out after 50 seconds of clock inactivity"]


def kdb(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kdb", *args], capture_output=True, text=True, timeout=300)


def forced_deadlock(tmp_path: Path, message: str) -> Path:
    """The deadlock scenario dumped by force: an NMI on CPU 0's idle thread."""
    d = json.loads((ROOT / "dumps" / "deadlock.json").read_text())
    d["system"]["dump"] = "crash"
    d["panic"] = {"message": message, "cpu": 0, "thread": d["cpus"][0]["thread"]}
    p = tmp_path / "forced.json"
    p.write_text(json.dumps(d))
    return p


@pytest.mark.parametrize("message", FORCED)
def test_a_forced_dump_of_a_deadlock_is_signed_by_the_deadlock(tmp_path, message):
    p = forced_deadlock(tmp_path, message)
    forced = json.loads(kdb("triage", "--format", "json", str(p)).stdout)["dumps"][0]
    plain = json.loads(kdb("triage", "--format", "json", "deadlock").stdout)["dumps"][0]
    assert forced["signature"] == plain["signature"] and forced["signature"]["text"].startswith("deadlock:")
    assert forced["kind"] == "hang" and forced["forced"] == classify(message)["kind"]
    text = kdb("triage", str(p)).stdout
    assert f"a forced dump ({forced['forced']}): the system was sick before it; read as a hang" in text
    assert "faulting frame" not in text


def test_panic_kinds_and_their_parameters():
    assert classify('BAD TRAP: type=e (#pf Page fault) rp=ffffff000f8b7a50 addr=0 occurred in module '
                    '"mydrv" due to a NULL pointer dereference') == {
        "kind": "bad trap", "forced": False, "type": 0xe, "mnemonic": "pf", "trap": "Page fault",
        "rp": "ffffff000f8b7a50", "addr": "0", "module": "mydrv", "reason": "a NULL pointer dereference"}
    assert classify("BAD TRAP: type=d (#gp General protection) rp=ffffff0007a7f8f0 addr=fffffe0000000000") == {
        "kind": "bad trap", "forced": False, "type": 0xd, "mnemonic": "gp", "trap": "General protection",
        "rp": "ffffff0007a7f8f0", "addr": "fffffe0000000000"}
    assert classify("assertion failed: zio->io_error == 0, file: ../../common/fs/zfs/zio.c, line: 2012") == {
        "kind": "assertion", "forced": False, "expression": "zio->io_error == 0",
        "file": "../../common/fs/zfs/zio.c", "line": 2012}
    assert classify("assertion failed: refcount_count(&db->db_holds) == 0 (0x1 == 0x0), file: "
                    "../../common/fs/zfs/dbuf.c, line: 1541")["values"] == "0x1 == 0x0"
    assert classify("kernel heap corruption detected")["kind"] == "heap corruption"
    assert classify("deadman: timed out after 50 seconds of clock inactivity") == {
        "kind": "deadman", "forced": True, "seconds": 50}
    assert classify("page_create_va: out of memory")["kind"] == "out of memory"
    assert classify("zfs: allocating allocated segment") == {"kind": "other", "forced": False}


def test_the_text_report_shows_a_panics_parameters():
    text = kdb("triage", "panic").stdout
    assert ("  kind: bad trap (type=0xe, mnemonic=pf, trap=Page fault, addr=0, "
            "module=mydrv, reason=a NULL pointer dereference)") in text


FOLDED_LINE = re.compile(r"^(?:[A-Za-z0-9_.]+`[A-Za-z0-9_.$]+|0x[0-9a-f]+|\[no stack\])"
                         r"(?:;(?:[A-Za-z0-9_.]+`[A-Za-z0-9_.$]+|0x[0-9a-f]+))* [1-9][0-9]*$")


@pytest.mark.parametrize("name", ["jurassic", "deadlock", "panic", "leak", "tests/data/panic-snv.json"])
def test_folded_stacks_sum_to_the_threads(name):
    r = kdb("--format", "folded", "-e", "::stacks", name)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines and all(FOLDED_LINE.match(x) for x in lines), [x for x in lines if not FOLDED_LINE.match(x)]
    walk = kdb("-e", "::walk thread", name).stdout.split()
    assert sum(int(x.rsplit(" ", 1)[1]) for x in lines) == len(walk)


def test_folded_stacks_of_a_pipeline_that_ends_in_threads():
    r = kdb("--format", "folded", "-e", "0t100015::pid2proc | ::walk thread", "jurassic")
    assert r.stdout == ("unix`sys_syscall32;genunix`modctl;genunix`modctl_load_drvconf;"
                        "genunix`i_ddi_load_drvconf;genunix`impl_make_parlist;genunix`hwc_parse;"
                        "genunix`sema_p;unix`swtch 1\n")
    bad = kdb("--format", "folded", "-e", "::ps", "jurassic")
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr == "kdb: --format folded: '::ps' gives no threads or stack groups\n"
    notthreads = kdb("--format", "folded", "-e", "::walk proc", "jurassic")
    assert notthreads.returncode == 1 and "is not a thread address" in notthreads.stderr


def _html(tmp_path: Path, *dumps: str) -> str:
    out = tmp_path / "report.html"
    r = kdb("triage", "--html", str(out), *dumps)
    assert r.returncode == 0, r.stderr
    return out.read_text()


def test_the_html_report_draws_the_deadlock_cycle(tmp_path):
    page = _html(tmp_path, "deadlock")
    # two threads, each waiting on a mutex the other holds: four red edges
    assert page.count('<line class="cycle"') == 4
    assert 'class="flame"' in page and "acct_lock_entry" in page
    assert "<script" not in page and "http" not in page.split("</style>", 1)[1].replace("http://www.w3.org", "")


def test_the_html_report_escapes_the_dumps_strings(tmp_path):
    d = json.loads((ROOT / "dumps" / "deadlock.json").read_text())
    for p in d["procs"]:
        if p["comm"] == "ledgerd":
            p["comm"] = "<img src=x onerror=alert(1)>"
    (tmp_path / "d.json").write_text(json.dumps(d))
    page = _html(tmp_path, str(tmp_path / "d.json"))
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_many_dumps_get_a_bucket_table_linking_to_examples(tmp_path):
    page = _html(tmp_path, "deadlock", "panic", "leak")
    assert page.count('<table class="buckets">') == 1
    for anchor in re.findall(r'<a href="#(dump\d+)">', page):
        assert f'id="{anchor}"' in page


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of an 8-bit RGB or RGBA PNG (what chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_html_report_loads_in_a_headless_browser_and_shows_the_cycle(tmp_path):
    _html(tmp_path, "deadlock")
    page = tmp_path / "report.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0
    assert dom.stdout.count('class="cycle"') == 4 and "<svg" in dom.stdout
    assert "Uncaught" not in dom.stderr and "CONSOLE" not in dom.stderr
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1300,5000", page.as_uri()],
                   capture_output=True, timeout=120)
    width, bpp, rows = _png_pixels(shot.read_bytes())
    red = sum(1 for row in rows for x in range(0, width * bpp, bpp)
              if row[x] > 180 and row[x + 1] < 40 and row[x + 2] < 40)
    assert red > 200            # the cycle's red edges and nodes are on the screen


def test_since_reports_only_new_buckets_and_refuses_a_bad_state(tmp_path):
    state = tmp_path / "state.json"
    first = kdb("triage", "--since", str(state), "--format", "json", "deadlock", "panic")
    assert {b["signature"].split(":")[0] for b in json.loads(first.stdout)["buckets"]} == {"deadlock", "panic"}
    second = json.loads(kdb("triage", "--since", str(state), "--format", "json", "deadlock", "panic",
                            "leak").stdout)
    assert [b["signature"].split(":")[0] for b in second["buckets"]] == ["memory leak"]
    assert [Path(r["dump"]).name for r in second["dumps"]] == ["leak.json"]
    saved = json.loads(state.read_text())
    assert sum(b["dumps"] for b in saved["buckets"].values()) == 5
    state.write_text('{"kdb_triage_state": 1, "buckets": {"0123456789ab": {"signature": 7}}}')
    bad = kdb("triage", "--since", str(state), "panic")
    assert bad.returncode == 1
    assert bad.stderr == (f"kdb triage: {state}: $.buckets[\"0123456789ab\"]: expected "
                          "{signature: text, dumps: count, ...}\n")
    assert "signature\": 7" in state.read_text()        # a refused state is left as it was


def test_folded_stacks_and_the_html_page_of_a_hostile_dump_hold_no_control_byte(tmp_path):
    """A symbol and a process named with OSC/CSI/BEL/C1/DEL: the folded
    lines (the bytes written) and the HTML file (its bytes) escape them."""
    evil = "n\u001b]0;PWNED\u0007\u001b[2J\u009b31m\u007f"
    d = {"kdb_dump": 1, "system": {"nodename": evil},
         "modules": [{"id": 0, "name": "unix", "text": "0xfffffffffb800000", "text_size": "0x1000",
                      "symbols": [{"name": "sw" + evil, "addr": "0xfffffffffb800000", "size": "0x100",
                                   "kind": "func"}]}],
         "procs": [{"addr": "0x1000", "pid": 0, "comm": evil,
                    "threads": [{"addr": "0x2000", "state": "onproc", "sp": "0x7000",
                                 "stack": ["0xfffffffffb800010"]}]}]}
    f = tmp_path / "evil.json"
    f.write_text(json.dumps(d))
    bad = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
    folded = subprocess.run([sys.executable, "-m", "kdb", "--format", "folded", "-e", "::stacks", str(f)],
                            capture_output=True, timeout=120)
    assert folded.returncode == 0 and folded.stdout.endswith(b" 1\n")
    assert folded.stdout.startswith(b"unix`swn\\x1b]0;PWNED\\x07") and not bad.search(folded.stdout)
    page = tmp_path / "r.html"
    r = subprocess.run([sys.executable, "-m", "kdb", "triage", "--html", str(page), str(f)],
                       capture_output=True, timeout=120)
    assert r.returncode == 0 and not bad.search(r.stdout + r.stderr)
    data = page.read_bytes()
    assert not bad.search(data) and b"PWNED" in data
