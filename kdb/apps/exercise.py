"""Guided exercises over scenario dumps: checked answers, hints, progress, grading.

A teacher writes an exercise source (TOML) with plain answers; ``kdb exercise
build SRC -o OUT`` turns it into the shipped file, where each answer is a
salted SHA-256 hash, so students cannot read the answers out of it::

    [exercise]
    name = "jurassic"            dump = "jurassic"
    title = "..."                summary = "..."        difficulty = "beginner"

    [[step]]
    question = "Which processes are stuck?"
    hints = ["...", "..."]        # revealed one at a time by ::hint
    kind = "pid"                  # text, number, address, pid or choice
    answer = "100015"             # source only; or answers = [...] for several
    explanation = "..."           # shown once solved (shipped sealed with the answer)

Answers are normalised by kind before hashing: numbers and pids accept
``0t``/``0x``/decimal spellings, addresses accept hex with or without
``0x``, text ignores case and extra blanks, and ``choice`` accepts any of
several answers (a "pattern" of accepted spellings).

``kdb exercise NAME`` opens the scenario with the dcmds ``::task``,
``::hint``, ``::answer TEXT``, ``::progress`` and ``::skip``; progress is
kept in ``$XDG_STATE_HOME/kdb/exercises/NAME.json``, written atomically.
``kdb exercise NAME --grade FILE`` checks a file of answers (one per line,
in step order) and prints a score.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import re
import secrets
import sys
import tomllib
from pathlib import Path
from typing import Sequence

import attrs

from kdb.errors import CmdError, KdbError
from kdb.statefiles import atomic_write
from kdb.modapi import DCMD_USAGE, Call, Module

KINDS = ("text", "number", "address", "pid", "choice")


@attrs.define(slots=True)
class Step:
    question: str
    kind: str
    hashes: list[str]
    hints: list[str] = attrs.Factory(list)
    sealed: list[str] = attrs.Factory(list)   # the explanation, once per accepted answer

    def explanation(self, salt: str, answer: str) -> str:
        """The explanation, unsealed with a correct answer."""
        h = answer_hash(salt, self.kind, answer)
        if h in self.hashes and self.hashes.index(h) < len(self.sealed):
            return unseal(salt, self.kind, answer, self.sealed[self.hashes.index(h)])
        return ""


@attrs.define(slots=True)
class Exercise:
    name: str
    dump: str
    title: str
    summary: str
    difficulty: str
    salt: str
    steps: list[Step]


def normalise(kind: str, text: str) -> str:
    """The canonical form of an answer, as hashed."""
    t = " ".join(text.strip().split())
    if kind in ("number", "pid"):
        s = t.lower().replace("_", "")
        try:
            if s.startswith("0t"):
                return str(int(s[2:], 10))
            if s.startswith("0x"):
                return str(int(s[2:], 16))
            return str(int(s, 10))
        except ValueError:
            return "?" + s
    if kind == "address":
        s = t.lower()
        s = s[2:] if s.startswith("0x") else s
        try:
            return f"{int(s, 16):x}"
        except ValueError:
            return "?" + s
    return t.lower().strip(" .")


def answer_hash(salt: str, kind: str, text: str) -> str:
    return hashlib.sha256(f"{salt}:{normalise(kind, text)}".encode()).hexdigest()


def _keystream(salt: str, kind: str, text: str, n: int) -> bytes:
    key = hashlib.sha256(f"{salt}:explain:{normalise(kind, text)}".encode()).digest()
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(key + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:n])


def seal(salt: str, kind: str, answer: str, text: str) -> str:
    """An explanation readable only with the answer (it usually gives the answer away)."""
    raw = text.encode("utf-8")
    return bytes(a ^ b for a, b in zip(raw, _keystream(salt, kind, answer, len(raw)))).hex()


def unseal(salt: str, kind: str, answer: str, sealed: str) -> str:
    raw = bytes.fromhex(sealed)
    return bytes(a ^ b for a, b in zip(raw, _keystream(salt, kind, answer, len(raw)))).decode(
        "utf-8", "replace")


def load(path: str | Path) -> Exercise:
    """Read a shipped exercise file (hashed answers)."""
    try:
        with open(path, "rb") as f:
            return loads(f.read().decode("utf-8"), path)
    except (OSError, UnicodeDecodeError) as e:
        raise KdbError(f"cannot read exercise {path}: {e}") from None


def loads(text: str, path: str | Path) -> Exercise:
    """An exercise from the text of a shipped file (named PATH in messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise KdbError(f"cannot read exercise {path}: {e}") from None
    try:
        meta = data["exercise"]
        steps = [Step(s["question"], s.get("kind", "text"), list(s["answer_hashes"]),
                      list(s.get("hints", [])), list(s.get("explanations", [])))
                 for s in data["step"]]
        return Exercise(meta["name"], meta["dump"], meta.get("title", meta["name"]),
                        meta.get("summary", ""), meta.get("difficulty", "?"), meta["salt"], steps)
    except (KeyError, TypeError) as e:
        raise KdbError(f"exercise {path} is malformed: missing {e}") from None


def build(src: str | Path, salt: str | None = None) -> str:
    """Turn a teacher's source (plain answers) into the shipped TOML (hashed)."""
    with open(src, "rb") as f:
        data = tomllib.load(f)
    meta = dict(data["exercise"])
    salt = salt or secrets.token_hex(8)
    out = ["# Built by `kdb exercise build` from the teacher's source: answers are salted hashes.",
           "", "[exercise]"]
    for key in ("name", "dump", "title", "summary", "difficulty"):
        if key in meta:
            out.append(f"{key} = {_toml_str(meta[key])}")
    out.append(f"salt = {_toml_str(salt)}")
    for s in data["step"]:
        kind = s.get("kind", "text")
        if kind not in KINDS:
            raise KdbError(f"{src}: step {s.get('question')!r}: unknown kind {kind!r}")
        answers = s.get("answers") or [s["answer"]]
        out += ["", "[[step]]", f"question = {_toml_str(s['question'])}", f"kind = {_toml_str(kind)}",
                "answer_hashes = [" + ", ".join(_toml_str(answer_hash(salt, kind, str(a)))
                                                for a in answers) + "]"]
        if s.get("hints"):
            out.append("hints = [" + ", ".join(_toml_str(h) for h in s["hints"]) + "]")
        if s.get("explanation"):
            out.append("explanations = [" + ", ".join(
                _toml_str(seal(salt, kind, str(a), s["explanation"])) for a in answers) + "]")
    return "\n".join(out) + "\n"


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def bundled() -> dict[str, Path]:
    root = importlib.resources.files("kdb.dumps")
    return dict(sorted((e.name[: -len(".exercise.toml")], Path(str(e))) for e in root.iterdir()
                       if e.name.endswith(".exercise.toml")))


def find(name: str) -> Exercise:
    """A bundled exercise by name, a shipped exercise file, or a teacher's
    source file (plain answers: sealed here, in memory, with a fresh salt;
    grading against it ships no answer to students)."""
    if os.path.exists(name):
        try:
            with open(name, "rb") as f:
                source = "answer_hashes" not in f.read().decode("utf-8", "replace")
        except OSError as e:
            raise KdbError(f"cannot read exercise {name}: {e.strerror}") from None
        if source:
            return loads(build(name), name)
        return load(name)
    files = bundled()
    if name not in files:
        raise KdbError(f"no exercise named '{name}' (bundled: {', '.join(files) or 'none'})")
    return load(files[name])


def check(ex: Exercise, index: int, text: str) -> bool:
    step = ex.steps[index]
    return answer_hash(ex.salt, step.kind, text) in step.hashes


# ---------------------------------------------------------------------------
# progress
# ---------------------------------------------------------------------------
def progress_path(name: str) -> Path:
    """Where the progress of exercise NAME is kept: always a file of the state
    folder, whatever the name says (an exercise file's name is its author's)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".") or "_"
    return Path(base) / "kdb" / "exercises" / f"{safe[:100]}.json"


@attrs.define(slots=True)
class Progress:
    """Where a student is: the current step, hints shown, solved and skipped steps."""

    exercise: Exercise
    step: int = 0
    hints_shown: dict[int, int] = attrs.Factory(dict)
    solved: list[int] = attrs.Factory(list)
    skipped: list[int] = attrs.Factory(list)
    attempts: int = 0

    @classmethod
    def restore(cls, ex: Exercise) -> "Progress":
        p = cls(ex)
        try:
            data = json.loads(progress_path(ex.name).read_text())
            n = len(ex.steps)
            # a progress file is state a user (or anything) may have edited: every
            # value is checked, anything out of range starts that part afresh
            p.step = max(0, min(int(data.get("step", 0)), n))
            p.hints_shown = {int(k): max(0, int(v)) for k, v in data.get("hints_shown", {}).items()
                             if 0 <= int(k) < n}
            p.solved = [int(x) for x in data.get("solved", []) if 0 <= int(x) < n]
            p.skipped = [int(x) for x in data.get("skipped", []) if 0 <= int(x) < n]
            p.attempts = max(0, int(data.get("attempts", 0)))
        except (OSError, ValueError, TypeError, AttributeError, OverflowError):
            p = cls(ex)
        return p

    def save(self) -> None:
        try:
            atomic_write(progress_path(self.exercise.name), json.dumps({
                "step": self.step, "hints_shown": self.hints_shown, "solved": self.solved,
                "skipped": self.skipped, "attempts": self.attempts}))
        except OSError:
            pass

    @property
    def done(self) -> bool:
        return self.step >= len(self.exercise.steps)


def exercise_module(progress: Progress) -> Module:
    """The dcmds of exercise mode, bound to one student's progress."""
    mod = Module("exercise", builtin=False)
    ex = progress.exercise

    def current(call: Call) -> Step | None:
        if progress.done:
            call.printf("All %d steps done: %d solved, %d skipped. Well done.\n", len(ex.steps),
                        len(progress.solved), len(progress.skipped))
            return None
        return ex.steps[progress.step]

    @mod.dcmd("task", None, "show the current question of the exercise",
              help="Print the question of the current step of the exercise.")
    def task(call: Call) -> int | None:
        step = current(call)
        if step is not None:
            call.printf("Step %d of %d: %s\n", progress.step + 1, len(ex.steps), step.question)
            call.printf("(answer with ::answer TEXT; ::hint for a hint)\n")
        return None

    @mod.dcmd("hint", None, "reveal the next hint for the current question",
              help="Reveal the hints of the current step one at a time.")
    def hint(call: Call) -> int | None:
        step = current(call)
        if step is None:
            return None
        shown = progress.hints_shown.get(progress.step, 0)
        if shown >= len(step.hints):
            call.printf("No more hints for this step.\n")
            return None
        progress.hints_shown[progress.step] = shown + 1
        progress.save()
        for i in range(shown + 1):
            call.printf("Hint %d: %s\n", i + 1, step.hints[i])
        return None

    @mod.dcmd("answer", "text ...", "answer the current question",
              help="Check an answer to the current step: ::answer 100015.")
    def answer(call: Call) -> int | None:
        if not call.args:
            return DCMD_USAGE
        step = current(call)
        if step is None:
            return None
        text = " ".join(a if isinstance(a, str) else call.session.numfmt(a) for a in call.args)
        progress.attempts += 1
        if check(ex, progress.step, text):
            call.printf("Correct.\n")
            explanation = step.explanation(ex.salt, text)
            if explanation:
                call.printf("%s\n", explanation.strip())
            progress.solved.append(progress.step)
            progress.step += 1
            progress.save()
            if progress.done:
                call.printf("That was the last step: %d of %d solved.\n", len(progress.solved),
                            len(ex.steps))
            else:
                call.printf("Next: ::task\n")
            return None
        progress.save()
        left = len(step.hints) - progress.hints_shown.get(progress.step, 0)
        raise CmdError("not the answer" + (f"; ::hint has {left} more hint{'s' * (left != 1)}"
                                           if left > 0 else ""))

    @mod.dcmd("progress", None, "show progress through the exercise",
              help="Show which steps are solved, skipped and left.")
    def progress_(call: Call) -> int | None:
        call.printf("%s: %s\n", ex.name, ex.title)
        for i, step in enumerate(ex.steps):
            mark = "solved" if i in progress.solved else "skipped" if i in progress.skipped else \
                "current" if i == progress.step else "to do"
            call.printf("  %2d %-8s %s\n", i + 1, mark, step.question)
        return None

    @mod.dcmd("skip", None, "skip the current question",
              help="Move on to the next step without answering this one.")
    def skip(call: Call) -> int | None:
        step = current(call)
        if step is None:
            return None
        progress.skipped.append(progress.step)
        progress.step += 1
        progress.save()
        call.printf("Skipped step %d.\n", progress.step)
        return None

    return mod


def grade(ex: Exercise, answers: Sequence[str]) -> tuple[int, list[str]]:
    """Score a list of answers (one per step)."""
    lines = []
    score = 0
    for i, step in enumerate(ex.steps):
        a = answers[i].strip() if i < len(answers) else ""
        ok = bool(a) and check(ex, i, a)
        score += ok
        lines.append(f"{i + 1:2d} {'ok   ' if ok else 'WRONG' if a else 'none '} {step.question}")
    return score, lines


USAGE = """\
usage: kdb exercise --list
       kdb exercise NAME [--reset] [--no-shell] [-e CMDS]  work through an exercise
       kdb exercise NAME|SRC --grade FILE        score a file of answers (one per line);
                                                 SRC: the teacher's source, never shipped
       kdb exercise build SRC [-o OUT] [--salt S] build a shipped exercise from a source
"""


def main(argv: list[str]) -> int:
    """``kdb exercise ...``."""
    args = list(argv)
    try:
        if not args or args[0] in ("-h", "--help", "-?"):
            sys.stdout.write(USAGE)
            return 0 if args else 2
        if args[0] == "--list":
            for name, path in bundled().items():
                ex = load(path)
                sys.stdout.write(f"{name:<12} {ex.difficulty:<13} {len(ex.steps)} steps  {ex.summary}\n")
            return 0
        if args[0] == "build":
            return _build_cmd(args[1:])
        ex = find(args[0])
        rest = args[1:]
        if "--grade" in rest:
            i = rest.index("--grade")
            if i + 1 >= len(rest):
                raise KdbError("--grade needs a file of answers")
            with open(rest[i + 1], encoding="utf-8") as f:
                answers = [line.rstrip("\n") for line in f]
            score, lines = grade(ex, answers)
            for line in lines:
                sys.stdout.write(line + "\n")
            sys.stdout.write(f"score: {score}/{len(ex.steps)}\n")
            return 0
        if "--reset" in rest:
            rest.remove("--reset")
            try:
                progress_path(ex.name).unlink()
            except OSError:
                pass
        no_shell = "--no-shell" in rest
        if no_shell:
            rest.remove("--no-shell")
        return _session(ex, rest, no_shell=no_shell)
    except KdbError as e:
        sys.stderr.write(f"kdb: {e}\n")
        return 2
    except BrokenPipeError:
        raise                        # the reader went away: kdb ends quietly (cli.main)
    except OSError as e:
        sys.stderr.write(f"kdb: {e.strerror}: {e.filename}\n")
        return 2


def _build_cmd(args: list[str]) -> int:
    if not args:
        sys.stderr.write(USAGE)
        return 2
    src = args[0]
    out = salt = None
    if "-o" in args:
        out = args[args.index("-o") + 1]
    if "--salt" in args:
        salt = args[args.index("--salt") + 1]
    text = build(src, salt)
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _sentence(text: str) -> str:
    """TEXT ending as a sentence does (the intro goes on after it)."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _session(ex: Exercise, rest: list[str], *, no_shell: bool = False) -> int:
    from kdb.engine.runner import open_session, run_input, shell_allowed
    from kdb.target.kernel import open_dump
    session = open_session(open_dump(ex.dump), shell_allowed=shell_allowed(no_shell))
    session.registry.add(exercise_module(Progress.restore(ex)))
    commands = rest[1] if rest[:1] == ["-e"] and len(rest) > 1 else None
    return run_input(session, commands,
                     intro=f"Exercise {ex.name}: {_sentence(ex.title)} Type ::task to begin "
                           f"(::hint, ::answer, ::progress, ::skip).\n")
