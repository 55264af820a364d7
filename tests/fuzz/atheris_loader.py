"""Coverage-guided fuzzing of the dump loader with atheris (libFuzzer).

Any input must load or be refused with a DumpError naming a JSON path; any
other exception is a crash that libFuzzer reports with the input saved.
A loaded dump must also survive a few commands without an internal error.

    python tests/fuzz/atheris_loader.py -runs=20000 tests/fuzz/corpus-loader
"""

import sys

import atheris

with atheris.instrument_imports():
    from kdb.errors import QuitSession
    from kdb.target.kernel import KernelTarget
    from kdb.limits import Limits
    from kdb.target.dump import DumpError, load_bytes, release_dump
    from kdb.engine.session import Session

LIMITS = Limits(max_bytes=1 << 20, max_depth=40, max_string=1000)


class StrictSession(Session):
    """A session where an internal error is a crash, not a line on stderr."""

    def internal_error(self, what, exc):
        raise exc


def one_input(data: bytes) -> None:
    try:
        dump = load_bytes(data, "fuzz.json", LIMITS, freeze=False)   # many dumps, one process
    except DumpError as e:
        assert e.path.startswith("$") and e.rule
        return
    try:
        check(dump)
    finally:
        release_dump(dump, collect=False)


def check(dump) -> None:
    try:
        target = KernelTarget(dump)           # lays out types and objects
    except DumpError as e:
        assert e.path.startswith("$") and e.rule
        return
    out = []
    s = StrictSession(target, write=out.append, write_err=out.append, shell_allowed=False)
    for cmd in ("::status", "::ps -f", "::stacks", "::walk thread | ::findstack -v", "::msgbuf",
                "::cpuinfo", "::prtconf", "::panicinfo"):
        try:
            s.run_string(cmd + "\n")
        except QuitSession:
            pass
    text = "".join(out)
    assert "\x1b" not in text and "\x00" not in text


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
