"""Exercises played through the real CLI, grading, building, and ::explain."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kdb.apps import exercise

ROOT = Path(__file__).parent.parent
SRC = ROOT / "docs" / "exercises" / "jurassic.toml"
SHIPPED = ROOT / "dumps" / "jurassic.exercise.toml"
ANSWERS = ["devfsadm", "0t100015", "ffffff0935930648", "3", "ii", "262149", "34 billion"]


def kdb(args, stdin, state):
    env = dict(os.environ, XDG_STATE_HOME=str(state))
    return subprocess.run([sys.executable, "-m", "kdb", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=120)


def test_play_the_jurassic_exercise_to_the_end(tmp_path):
    r = kdb(["exercise", "jurassic"], "".join(f"::answer {a}\n" for a in ANSWERS) + "::progress\n", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("Correct.") == 7 and "That was the last step: 7 of 7 solved." in r.stdout
    assert "34,359,869,440" in r.stdout and "n(n+1)/2" in r.stdout     # the seed's arithmetic
    assert r.stdout.count(" solved   ") == 7 and r.stderr == ""


def test_wrong_answers_are_rejected_and_hints_offered(tmp_path):
    r = kdb(["exercise", "jurassic"], "::task\n::answer init\n::hint\n::answer sched\n::hint\n::hint\n",
            tmp_path)
    assert "Step 1 of 7" in r.stdout
    assert r.stderr.splitlines() == ["kdb: not the answer; ::hint has 2 more hints",
                                     "kdb: not the answer; ::hint has 1 more hint"]
    assert "Hint 1:" in r.stdout and "Hint 2:" in r.stdout and "No more hints" in r.stdout


def test_progress_is_saved_and_resumed(tmp_path):
    kdb(["exercise", "jurassic"], "::answer devfsadm\n::skip\n", tmp_path)
    r = kdb(["exercise", "jurassic"], "::task\n", tmp_path)
    assert "Step 3 of 7" in r.stdout
    assert (tmp_path / "kdb" / "exercises" / "jurassic.json").exists()
    r = kdb(["exercise", "jurassic", "--reset"], "::task\n", tmp_path)
    assert "Step 1 of 7" in r.stdout


def test_grade_a_class_answer_file(tmp_path):
    f = tmp_path / "student.txt"
    f.write_text("\n".join(["devfsadm", "100015", "0xffffff0935930648", "5", "II", "262,149"]) + "\n")
    r = kdb(["exercise", "jurassic", "--grade", str(f)], "", tmp_path)
    assert r.returncode == 0
    assert r.stdout.splitlines()[-1] == "score: 4/7"
    assert " 4 WRONG" in r.stdout and " 7 none " in r.stdout


def test_list_shows_summary_and_difficulty(tmp_path):
    r = kdb(["exercise", "--list"], "", tmp_path)
    lines = r.stdout.splitlines()
    assert "jurassic     beginner      7 steps  A hung boot in kmdb: stuck devfsadm, a semaphore, and a " \
           "262,144-entry driver property list." in lines
    assert sorted(line.split()[0] for line in lines) == sorted(
        ["jurassic", "panic", "deadlock", "donutshop", "rwstarve", "nfshang", "audioglitch", "tqstall", "leak", "uaf"])


def test_shipped_file_is_built_from_the_source_and_hides_answers():
    assert exercise.build(SRC, salt="8f3a1c5e9b2d4f60") == SHIPPED.read_text(encoding="utf-8"), \
        "dumps/jurassic.exercise.toml is stale: kdb exercise build docs/exercises/jurassic.toml ..."
    text = SHIPPED.read_text(encoding="utf-8")
    for answer in ("ffffff0935930648", "262149", "100015", "34,359,869,440"):
        assert answer not in text


@pytest.mark.parametrize("kind,a,b", [("pid", "100015", "0t100015"), ("number", "0x10", "16"),
                                      ("address", "0xFFFF0A", "ffff0a"), ("text", " Hello  World ", "hello world")])
def test_normalisation(kind, a, b):
    assert exercise.normalise(kind, a) == exercise.normalise(kind, b)


def test_explanations_open_only_with_the_answer():
    sealed = exercise.seal("s", "pid", "100015", "the answer is 100015")
    assert exercise.unseal("s", "pid", "0t100015", sealed) == "the answer is 100015"
    assert exercise.unseal("s", "pid", "100016", sealed) != "the answer is 100015"


SCENARIOS = ["jurassic", "panic", "deadlock", "donutshop", "rwstarve", "nfshang", "audioglitch", "tqstall", "leak", "uaf"]


def _source_answers(name):
    import tomllib
    data = tomllib.loads((ROOT / "docs" / "exercises" / f"{name}.toml").read_text())
    return [str(s.get("answer") or s["answers"][0]) for s in data["step"]]


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_exercise_plays_to_the_end_with_the_right_answers(name, tmp_path):
    answers = _source_answers(name)
    r = kdb(["exercise", name], "".join(f"::answer {a}\n" for a in answers), tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("Correct.") == len(answers), (r.stdout, r.stderr)
    assert f"That was the last step: {len(answers)} of {len(answers)} solved." in r.stdout


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_exercise_rejects_wrong_answers_and_offers_hints(name, tmp_path):
    r = kdb(["exercise", name], "::answer certainly-not-this\n::hint\n", tmp_path)
    assert r.stderr.startswith("kdb: not the answer; ::hint has ")
    assert "Hint 1:" in r.stdout


@pytest.mark.parametrize("name", SCENARIOS)
def test_shipped_exercises_are_built_from_their_sources(name):
    shipped = (ROOT / "dumps" / f"{name}.exercise.toml").read_text(encoding="utf-8")
    salt = "8f3a1c5e9b2d4f60" if name == "jurassic" else f"kdb-{name}-2026"
    assert exercise.build(ROOT / "docs" / "exercises" / f"{name}.toml", salt=salt) == shipped


def test_every_bundled_scenario_passes_kdb_check(tmp_path):
    r = kdb(["check", *SCENARIOS], "", tmp_path)
    assert r.returncode == 0 and r.stdout.count(": ok (") == len(SCENARIOS), r.stdout


def test_grading_against_the_teachers_source_ships_no_answer(tmp_path):
    answers = tmp_path / "a.txt"
    answers.write_text("devfsadm\n100015\nffffff0935930648\n3\nii\n262149\n34\n")
    r = kdb(["exercise", str(ROOT / "docs" / "exercises" / "jurassic.toml"), "--grade", str(answers)],
            "", tmp_path)
    assert r.returncode == 0 and r.stdout.endswith("score: 7/7\n"), r.stdout + r.stderr


def test_a_damaged_progress_file_starts_afresh(tmp_path):
    state = tmp_path / "kdb" / "exercises"
    state.mkdir(parents=True)
    for bad in ('{"step": -100}', '{"step": 99, "solved": [-5, 1e9]}', '{"hints_shown": {"x": 1}}',
                '[1, 2]', '{"step": "0x10"}'):
        (state / "jurassic.json").write_text(bad)
        r = kdb(["exercise", "jurassic", "-e", "::task; ::hint; ::progress"], "", tmp_path)
        assert r.returncode == 0 and "internal error" not in r.stderr, (bad, r.stderr)
        assert "Step " in r.stdout or "steps done" in r.stdout, (bad, r.stdout)


def test_an_exercise_name_cannot_leave_the_state_folder(tmp_path, monkeypatch):
    from kdb.apps.exercise import progress_path
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    for name in ("../../../etc/passwd", "/abs/path", "..", "a/b"):
        p = progress_path(name).resolve()
        assert p.parent == (tmp_path / "kdb" / "exercises").resolve(), (name, p)
