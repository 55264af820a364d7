"""Nothing lost: history and exercise progress survive SIGKILL in mid-write.

A child process writes again and again; the test kills it with SIGKILL at
random moments and checks each time that the file is whole (the old or the
new content, never a mixture or a truncation) and that nothing already
written was lost.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

KILLS = 12

HISTORY_WRITER = r"""
import sys
from pathlib import Path
from kdb.ui.repl import SafeHistory
h = SafeHistory(Path(sys.argv[1]), limit=2000)
h.load_history_strings()
start = int(h._entries[-1].split()[1]) + 1 if h._entries else 0
for i in range(start, start + 100000):
    h.store_string(f"cmd {i} " + "x" * 200)
    print(i, flush=True)
"""


def check_history(path: Path, acknowledged: int) -> int:
    """What a session reads back holds whole entries 'cmd K' .. 'cmd N' in order,
    N >= acknowledged, the newest 2000 at least (the file is appended to and
    compacted past 4000 lines; a line torn by SIGKILL is skipped on reading)."""
    from kdb.ui.repl import SafeHistory
    h = SafeHistory(path, limit=2000)
    values = list(reversed(list(h.load_history_strings())))
    numbers = [int(v.split()[1]) for v in values]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "entries lost or out of order"
    assert numbers[-1] >= acknowledged, f"entry {acknowledged} was written, then lost"
    assert len(numbers) == min(2000, numbers[-1] + 1)
    torn = [line for line in path.read_bytes().split(b"\n")[:-1] if not line.endswith(b'"')]
    assert len(torn) <= 1                                   # at most the line being written
    return numbers[-1]


def test_history_survives_sigkill_mid_write(tmp_path):
    hist = tmp_path / "state" / "kdb" / "history"
    rng = random.Random(7)
    last = -1
    for _ in range(KILLS):
        p = subprocess.Popen([sys.executable, "-c", HISTORY_WRITER, str(hist)], stdout=subprocess.PIPE,
                             text=True)
        assert p.stdout is not None
        acknowledged = int(p.stdout.readline())               # at least one write completed
        time.sleep(rng.uniform(0.0, 0.15))
        p.send_signal(signal.SIGKILL)
        rest = p.stdout.read().split()
        p.wait()
        acknowledged = int(rest[-1]) if rest else acknowledged
        last_now = check_history(hist, acknowledged)
        assert last_now >= last
        last = last_now
    assert last > KILLS
    # what the killed writers left behind is only their temporary files
    leftovers = [f.name for f in hist.parent.iterdir() if f.name != "history"]
    assert all(name.startswith(".history.") for name in leftovers)


def test_stale_temporary_files_are_removed(tmp_path):
    from kdb.statefiles import STALE_TEMP_SECONDS, atomic_write
    target = tmp_path / "history"
    old = tmp_path / ".history.dead1"
    young = tmp_path / ".history.alive"
    old.write_text("partial")
    young.write_text("partial")
    past = time.time() - STALE_TEMP_SECONDS - 5
    os.utime(old, (past, past))
    atomic_write(target, "ok\n")
    assert target.read_text() == "ok\n" and not old.exists() and young.exists()


def test_exercise_progress_survives_sigkill_of_kdb(tmp_path):
    """The real CLI in exercise mode, answering wrongly over and over (each
    answer saves the progress), killed with SIGKILL at random moments."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    progress = tmp_path / "state" / "kdb" / "exercises" / "jurassic.json"
    rng = random.Random(11)
    attempts = 0
    for _ in range(10):
        p = subprocess.Popen([sys.executable, "-m", "kdb", "exercise", "jurassic"], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        assert p.stdin is not None
        try:
            p.stdin.write(b"::answer wrong\n" * 3000)     # fits in the pipe: never blocks
            p.stdin.flush()
        except BrokenPipeError:
            pass
        deadline = time.time() + 20
        while not progress.exists() and time.time() < deadline:     # started answering
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        p.send_signal(signal.SIGKILL)
        p.wait()
        data = json.loads(progress.read_text())              # whole, never truncated
        assert data["step"] == 0 and data["attempts"] >= attempts
        attempts = data["attempts"]
    assert attempts > 0
