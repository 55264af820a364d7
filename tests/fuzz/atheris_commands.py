"""Coverage-guided fuzzing of the command language with atheris (libFuzzer).

Any line of bytes typed at the prompt must be answered by mdb's errors or
output, never an internal error, on a small dump with every kind of entity.

    python tests/fuzz/atheris_commands.py -runs=20000 tests/fuzz/corpus-commands
"""

import signal
import sys

import atheris

with atheris.instrument_imports():
    from kdb.errors import QuitSession
    from kdb.target.kernel import open_dump
    from kdb.engine.session import InputSource, Session


class StrictSession(Session):
    def internal_error(self, what, exc):
        raise exc


TARGET = open_dump("panic")
SESSION = StrictSession(TARGET, write=lambda s: None, write_err=lambda s: None, shell_allowed=False)


def interrupt(signum, frame):
    raise KeyboardInterrupt


def one_input(data: bytes) -> None:
    """Run one line; a line still running after 0.2 s gets Ctrl-C, as a user
    would (repeat counts like ,ffffffffffff run until interrupted), and the
    session must carry on sanely after it."""
    line = data.decode("utf-8", "replace").replace("\n", ";")[:200]
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        SESSION.run_line(line, InputSource("(fuzz)"))
    except QuitSession:
        pass
    except KeyboardInterrupt:
        SESSION.abort_output()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


signal.signal(signal.SIGALRM, interrupt)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
