"""The ``kdb`` command line, modelled on ``mdb``'s (docs/language.md, "Errors and exit statuses").

* ``kdb`` with no dump is mdb with no target: built-in dcmds only;
* ``kdb DUMP`` opens a dump (a path, or the name of a bundled scenario);
* commands come from ``-e CMDS``, from stdin when it is not a terminal, or
  from the terminal (the interactive prompt);
* exit status: with ``-e``, 1 after a parse error or when the last dcmd
  failed, else 0; stdin scripts exit 0 at end of input; 2 for bad options
  or a dump that cannot be loaded.

Sub-commands: ``kdb check DUMP...`` validates dumps.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence

from kdb.version import __version__
from kdb.errors import EXIT_OK, EXIT_USAGE



USAGE = """\
usage: kdb [-K] [--no-shell] [--no-cache] [--vi] [--format text|json|jsonl|folded]
           [-e CMDS] [--max-dump-bytes N] [--max-depth N] [--max-string N] [DUMP]
       kdb check [--max-...] DUMP...
       kdb exercise --list | NAME [--grade FILE] | build SRC
       kdb triage [--jobs N | --executor dask://HOST:PORT] [--format json]
                  [--fail-on deadlock,panic,hang] [--html FILE] [--since STATE]
                  DUMP|DIR...

  -e CMDS       evaluate CMDS instead of reading commands, then exit
  -K, --kmdb    behave like kmdb stopped on the dump's CPU
  --no-shell    refuse ! shell escapes (also KDB_NO_SHELL=1)
  --no-cache    neither read nor write the dump cache (also KDB_CACHE=off);
                dumps of 4M or more are cached in $XDG_CACHE_HOME/kdb
  --vi          vi editing keys at the prompt (also ::set -o vi)
  --format F    print dcmd results as text (default), json or jsonl; folded:
                ::stacks or threads as folded stacks for flame graphs
  --max-dump-bytes N, --max-depth N, --max-string N
                refuse dumps larger, deeper or with longer strings than N
                (defaults 4G, 200 levels, 1M characters; K, M, G suffixes;
                also KDB_MAX_DUMP_BYTES, KDB_MAX_DEPTH, KDB_MAX_STRING)
  -V, --version print the version and exit
  -?, -h        print this help and exit

DUMP is a dump file, or the name of a bundled dump (kdb jurassic).
"""


class Options:
    """The parsed command line."""

    def __init__(self) -> None:
        self.commands: str | None = None
        self.kmdb = False
        self.no_shell = False
        self.no_cache = False
        self.format = "text"
        self.dump: str | None = None
        self.vi = False
        self.limits: dict[str, int] = {}   # Limits attributes given on the command line


class UsageError(Exception):
    pass


def parse_args(argv: list[str]) -> Options:
    """getopt-style parsing, like mdb's: ``-e`` takes the next word, whatever it is."""
    import getopt

    from kdb.limits import GETOPT_LONG, OPTION_ATTRS, parse_size
    try:
        pairs, rest = getopt.gnu_getopt(argv, "e:KhV?",
                                        ["kmdb", "no-shell", "no-cache", "format=", "help", "version", "vi",
                                         *GETOPT_LONG])
    except getopt.GetoptError as e:
        raise UsageError(str(e)) from None
    o = Options()
    for flag, val in pairs:
        if flag == "-e":
            o.commands = val
        elif flag in ("-K", "--kmdb"):
            o.kmdb = True
        elif flag == "--no-shell":
            o.no_shell = True
        elif flag == "--no-cache":
            o.no_cache = True
        elif flag == "--vi":
            o.vi = True
        elif flag in OPTION_ATTRS:
            try:
                o.limits[OPTION_ATTRS[flag]] = parse_size(val)
            except ValueError as e:
                raise UsageError(f"{flag}: {e}") from None
        elif flag == "--format":
            if val not in ("text", "json", "jsonl", "folded"):
                raise UsageError(f"invalid --format {val!r}: use text, json, jsonl or folded")
            o.format = val
        elif flag in ("-h", "-?", "--help"):
            raise SystemExit(_print_usage(sys.stdout, EXIT_OK))
        elif flag in ("-V", "--version"):
            print(f"kdb {__version__}")
            raise SystemExit(EXIT_OK)
    if len(rest) > 1:
        raise UsageError("at most one dump may be given")
    o.dump = rest[0] if rest else None
    return o


def _print_usage(stream, status: int) -> int:
    stream.write(USAGE)
    return status


def run() -> None:
    """The ``kdb`` command (and ``python -m kdb``): :func:`main`, then exit.

    A debugging session (not ``check``, ``triage`` or ``exercise``, which
    may have worker processes to wind down) ends with ``os._exit`` once its
    output is flushed: tearing down a loaded dump object by object took 50 ms
    for 100,000 threads, and nothing is left to do (history lines and
    reports are written as they come; the cache writer is on its own)."""
    status = main()
    if sys.argv[1:2] and sys.argv[1] in ("check", "triage", "exercise", "import") \
            or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(status)            # (a profiler or a coverage tool writes its results at exit)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """``kdb``: everything it writes goes through one sanitising writer
    (kdb.output.sanitize), whatever the subcommand."""
    from kdb.output.sanitize import SafeWriter
    args_list = list(sys.argv[1:] if argv is None else argv)
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeWriter(real_out), SafeWriter(real_err)
    try:
        return _dispatch(args_list)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        sys.stdout, sys.stderr = real_out, real_err


def _dispatch(args_list: list[str]) -> int:
    try:
        if args_list and args_list[0] == "check":
            from kdb.apps.check import main as check_main
            return check_main(args_list[1:])
        if args_list and args_list[0] == "triage":
            from kdb.apps.triage import main as triage_main
            return triage_main(args_list[1:])
        if args_list and args_list[0] == "exercise":
            from kdb.apps.exercise import main as exercise_main
            return exercise_main(args_list[1:])
        if args_list and args_list[0] == "import":
            from kdb.apps.importer import main as import_main
            return import_main(args_list[1:])
        return _main(args_list)
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except OSError as e:              # a full disk, a closed or failing output
        try:
            sys.stderr.write(f"kdb: cannot write output: {e.strerror or e}\n")
        except (OSError, ValueError):
            pass
        _quiet_stdout()
        return 1
    except KeyboardInterrupt:
        _quiet_stdout()
        return 130
    except Exception as e:  # a bug in kdb: one line and a report, never a traceback
        from kdb.engine.reports import write_report
        report = write_report(e, "internal error", argv=args_list)
        sys.stderr.write(f"kdb: internal error: {type(e).__name__}: {e}"
                         f"{f' (report: {report})' if report else ''}\n")
        return 1


def _quiet_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter exits quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _open_target(path: str | None, kmdb: bool, limits: dict[str, int], cache: bool):  # -> Target
    from kdb.target.base import Target
    if path is None:
        return Target()
    from kdb.target.kernel import open_dump
    from kdb.limits import Limits
    return open_dump(path, kmdb=kmdb, limits=Limits.from_env(**limits), cache=cache)


def _main(argv: list[str]) -> int:
    try:
        opts = parse_args(argv)
    except UsageError as e:
        sys.stderr.write(f"kdb: {e}\n")
        return _print_usage(sys.stderr, EXIT_USAGE)
    from kdb.errors import KdbError
    pname = "kmdb" if opts.kmdb else "kdb"
    try:
        target = _open_target(opts.dump, opts.kmdb, opts.limits, not opts.no_cache)
    except KdbError as e:
        sys.stderr.write(f"kdb: {e}\n")
        return EXIT_USAGE
    from kdb.engine.runner import open_session, run_input, shell_allowed
    session = open_session(target, pname=pname, kmdb=opts.kmdb,
                           shell_allowed=shell_allowed(opts.no_shell))
    if opts.format == "folded":
        from kdb.output.folded import install as install_folded
        if not install_folded(session):
            sys.stderr.write("kdb: --format folded needs a kernel dump\n")
            return EXIT_USAGE
    elif opts.format != "text":
        from kdb.output.structured import install
        install(session, opts.format)
    for err in session.module_errors:
        session.warn(err)
    if opts.kmdb:
        session.out.write(target.banner())
        session.flush_stdout()
    return run_input(session, opts.commands, vi=opts.vi)
