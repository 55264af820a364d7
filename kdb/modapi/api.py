"""The public API for debugger modules (kdb's equivalent of ``mdb_modapi.h``).

A debugger module is a Python file that creates one :class:`Module` and
registers its dcmds and walkers on it, in one place each::

    from kdb.modapi import Module, Opt, DCMD_USAGE

    module = Module("genunix", targets=("kernel",))

    @module.dcmd("pid2proc", "?", "convert PID to proc_t address",
                 help="Print the proc_t address of the process whose PID is dot.")
    def pid2proc(call):
        ...

    @module.dcmd("msgbuf", "?", "print most recent console messages",
                 options=[Opt("t", bool, "message ages"), Opt("v", bool, "verbose")])
    def msgbuf(call):
        if call.opts["v"]: ...

    @module.walker("proc", "walk process list")
    def walk_proc(walk):
        yield from (p.addr for p in walk.target.procs)

Everything the user sees about a dcmd (its usage line, ``::help``,
``::dcmds``, completion, ``docs/dcmds.md``) comes from that registration,
options included (:mod:`kdb.modapi.options`): the framework parses the
declared options before the dcmd runs (``call.opts``, by letter) and leaves
the operands in ``call.args``; an unknown option, or an operand given to a
dcmd whose usage names none, is a usage error. A dcmd receives a
:class:`Call` (address, flags, options, operands, output) and returns one of the
``DCMD_*`` codes (``None`` means ``DCMD_OK``) or raises
:class:`~kdb.errors.CmdError`. A walker is a generator of addresses.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import attrs

from kdb.errors import CmdError
from kdb.modapi.options import (Opt, UsageRequest, check_options, help_lines, parse, render_usage,
                                takes_operands)
from kdb.modapi.records import RecordKind

if TYPE_CHECKING:  # pragma: no cover
    from kdb.engine.session import Session

# dcmd flags (mdb_modapi.h)
DCMD_ADDRSPEC = 0x01
DCMD_LOOP = 0x02
DCMD_LOOPFIRST = 0x04
DCMD_PIPE = 0x08
DCMD_PIPE_OUT = 0x10

# dcmd return codes
DCMD_OK = 0
DCMD_ERR = 1
DCMD_USAGE = 2
DCMD_NEXT = 3
DCMD_ABORT = 4

DcmdFunc = Callable[["Call"], "int | None"]
WalkFunc = Callable[["Walk"], Iterable[int]]


@attrs.define(slots=True, eq=False)
class Dcmd:
    """A registered dcmd: what ``mdb_dcmd_t`` holds, plus its declared options.

    ``spec`` is the usage as registered (address form and operands);
    ``usage`` the full usage line rendered from it and the options."""

    name: str
    spec: str | None
    descr: str
    func: DcmdFunc
    help: str | None = None
    module: "Module | None" = None
    options: tuple[Opt, ...] = ()
    stage_builtin: bool = False   # a format verb or other adb-style built-in
    rest_of_line: bool = False    # takes the rest of the line as one argument (kdb's own)
    unlisted_operands: bool = False   # takes operands its usage line does not show (as mdb's does)
    usage: str | None = attrs.field(init=False)
    takes_operands: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.options = check_options(self.options)
        self.usage = render_usage(self.spec, self.options)
        self.takes_operands = takes_operands(self.spec, self.options) or self.unlisted_operands

    @property
    def has_help(self) -> bool:
        return bool(self.full_help)

    @property
    def synopsis(self) -> str:
        """The SYNOPSIS line of ``::help``: ``[ addr ] ::name usage``."""
        usage = self.usage or ""
        prefix = ""
        if usage.startswith("?"):
            prefix, usage = "[ addr ] ", usage[1:]
        elif usage.startswith(":"):
            prefix, usage = "addr ", usage[1:]
        colons = "" if self.name[0] in ":$=/\\?>@" else "::"
        text = f"{prefix}{colons}{self.name}"
        if usage:
            text += " " + usage
        return text

    @property
    def full_help(self) -> str | None:
        """The DESCRIPTION of ``::help``: the prose, then one line per option."""
        lines = help_lines(self.options)
        if not lines:
            return self.help
        prose = (self.help or "").rstrip("\n")
        return (prose + "\n" if prose else "") + "".join(f"  {line}\n" for line in lines)

    def parse_args(self, session: "Session", args: list[Any]) -> tuple[dict[str, Any], list[Any]]:
        """The declared options and the operands in ARGS; :class:`UsageRequest`
        for an unknown option, or for operands the usage does not name."""
        if not self.options:
            if args and not self.takes_operands:
                raise UsageRequest("no operands expected")
            return {}, args
        opts, rest = parse(self.options, args, session.arg_to_int, session.numfmt)
        if rest and not self.takes_operands:
            raise UsageRequest("no operands expected")
        return opts, rest


@attrs.define(slots=True, eq=False)
class Walker:
    """A registered walker: a generator over addresses."""

    name: str
    descr: str
    func: WalkFunc
    module: "Module | None" = None


@attrs.define(slots=True, eq=False)
class Module:
    """A debugger module (dmod): a named set of dcmds and walkers.

    ``targets`` lists the target kinds the module applies to (``"none"`` for
    no target, ``"kernel"`` for a kernel dump); ``None`` means all of them.
    ``builtin`` marks the debugger's own module (``Interface Stability:
    Evolving`` in ``::help``).
    """

    name: str
    targets: tuple[str, ...] | None = None
    builtin: bool = False
    dcmds: list[Dcmd] = attrs.Factory(list)
    walkers: list[Walker] = attrs.Factory(list)
    path: str | None = None
    records: dict[str, RecordKind] = attrs.Factory(dict)
    #: functions naming walkers the target itself defines (session -> name -> walker),
    #: as kmem.c adds a walker per cache (kmem_init_walkers)
    families: list[Callable[[Any], dict[str, Walker]]] = attrs.Factory(list)

    def dcmd(self, name: str, usage: str | None, descr: str, *, help: str | None = None,
             options: Sequence[Opt] = (), rest_of_line: bool = False,
             unlisted_operands: bool = False) -> Callable[[DcmdFunc], DcmdFunc]:
        """Decorator registering ``func`` as the dcmd ``name``.

        USAGE gives the address form (``?`` optional, ``:`` required) and the
        operands (``"?[object]"``); the options are rendered into it from
        OPTIONS (see :mod:`kdb.modapi.options`). REST_OF_LINE: the dcmd takes
        the rest of the input line, pipes and all, as its one argument (as
        ``!`` does; kdb's own dcmds only, such as ``::explain``).
        UNLISTED_OPERANDS: operands are accepted that the usage line does not
        name, as some of mdb's dcmds accept them (``ADDR::findstack "<.$c"``)."""
        def register(func: DcmdFunc) -> DcmdFunc:
            self.dcmds.append(Dcmd(name, usage, descr, func, help, self, tuple(options),
                                   rest_of_line=rest_of_line, unlisted_operands=unlisted_operands))
            return func
        return register

    def record(self, name: str, fields: dict[str, Any], *, addresses: Iterable[str] = ()) -> RecordKind:
        """Declare a kind of record this module's dcmds emit (--format json);
        see :mod:`kdb.modapi.records`."""
        if name in self.records:
            raise ValueError(f"record kind {name} is declared twice in module {self.name}")
        kind = RecordKind.make(name, fields, addresses)
        self.records[name] = kind
        return kind

    def walker(self, name: str, descr: str) -> Callable[[WalkFunc], WalkFunc]:
        """Decorator registering the generator ``func`` as the walker ``name``."""
        def register(func: WalkFunc) -> WalkFunc:
            self.walkers.append(Walker(name, descr, func, self))
            return func
        return register

    def walker_family(self, func: Callable[[Any], dict[str, "Walker"]]) -> Callable[[Any], dict[str, "Walker"]]:
        """Decorator registering FUNC(session) -> {name: Walker}: walkers whose
        names come from the target (one per kmem cache)."""
        self.families.append(func)
        return func

    def applies_to(self, target_kind: str) -> bool:
        """Whether the module loads on a target of TARGET_KIND; kmdb is a
        kernel target too (its own dcmds, ::cpuregs and ::cpustack, are
        kmdb's only, as in kmdb_kvm.c)."""
        if self.targets is None or target_kind in self.targets:
            return True
        return target_kind == "kmdb" and "kernel" in self.targets


class Call:
    """One invocation of a dcmd: address, flags, arguments and output."""

    __slots__ = ("session", "dcmd", "addr", "flags", "args", "opts", "out", "_pipe")

    def __init__(self, session: "Session", dcmd: Dcmd, addr: int, flags: int,
                 args: list[Any], out: Any, pipe: Any) -> None:
        self.session = session
        self.dcmd = dcmd
        self.addr = addr
        self.flags = flags
        self.args = args            # the operands, once the options are parsed
        self.opts: dict[str, Any] = {}   # the declared options' values, by letter
        self.out = out
        self._pipe = pipe

    # flags ---------------------------------------------------------------
    @property
    def addrspec(self) -> bool:
        return bool(self.flags & DCMD_ADDRSPEC)

    @property
    def loop(self) -> bool:
        return bool(self.flags & DCMD_LOOP)

    @property
    def loopfirst(self) -> bool:
        return bool(self.flags & DCMD_LOOPFIRST)

    @property
    def piped(self) -> bool:
        return bool(self.flags & DCMD_PIPE)

    @property
    def pipe_out(self) -> bool:
        return bool(self.flags & DCMD_PIPE_OUT)

    @property
    def hdrspec(self) -> bool:
        """DCMD_HDRSPEC: print a header on the first call of a loop, or outside one."""
        return bool(self.flags & DCMD_LOOPFIRST) or not self.flags & DCMD_LOOP

    @property
    def target(self) -> Any:
        return self.session.target

    # output ----------------------------------------------------------------
    def printf(self, fmt: str, *args: Any) -> None:
        """mdb_printf to this call's output."""
        self.session.printf(self.out, fmt, *args)

    def write(self, text: str) -> None:
        self.out.write(text)

    def emit(self, kind: str, record: "dict[str, Any] | Callable[[], dict[str, Any]]",
             render: Callable[["Call", dict[str, Any]], None]) -> None:
        """Produce one result record; ``render`` is its text layout.

        Text output calls ``render``; structured output (``--format json``)
        collects the record instead. Into a pipe, layouts still run so they
        can print bare addresses. ``record`` may be a function that builds
        the record, so text output does not pay for records it never shows.
        """
        sink = self.session.record_sink
        if sink is not None and not self.pipe_out:
            rec = record() if callable(record) else record
            sink(self.dcmd.name, kind, rec)
            if self.session.records_with_text:     # the Python API keeps both (kdb.api)
                render(self, rec)
        else:
            render(self, {} if callable(record) else record)

    def warn(self, message: str) -> None:
        """mdb_warn: ``kdb: message`` on stderr."""
        self.session.warn(message)

    # pipes -----------------------------------------------------------------
    def push_many(self, addrs: Iterable[int]) -> None:
        """Pass many addresses to the next stage at once."""
        if self.out.is_pipe:
            self.out.sink.extend(addrs)
        else:
            for a in addrs:
                self.printf("%#lr\n", a)

    def get_pipe(self) -> list[int]:
        """mdb_get_pipe: take every remaining input address (this one included)."""
        if self._pipe is None:
            return []
        return self._pipe.take_all()

    def set_pipe(self, addrs: Iterable[int]) -> None:
        """mdb_set_pipe: replace the addresses passed to the next stage."""
        if self.out.is_pipe:
            self.out.sink.replace(addrs)

    def push(self, addr: int, var: str | None = None) -> None:
        """Pass ``addr`` to the next stage (a fast ``%#lr\\n`` into the pipe).

        With ``var``, that variable is set to ``addr`` when the next stage
        consumes it (``::walk name var``).
        """
        if self.out.is_pipe:
            self.out.sink.push(addr, var)
        else:
            self.printf("%#lr\n", addr)

    # arguments -------------------------------------------------------------
    def getopts(self, spec: dict[str, Any], args: list[Any] | None = None) -> tuple[dict[str, Any], list[Any]]:
        """mdb_getopts for modules that parse by hand (bundled dcmds declare
        their options instead): ``spec`` maps a letter to ``bool``, ``str``,
        ``int`` or ``"count"``; options stop at the first operand or ``--``;
        :class:`UsageRequest` for an unknown option."""
        opts = [Opt(letter, list if kind is list else kind, arg="arg") for letter, kind in spec.items()]
        return parse(opts, self.args if args is None else args, self.session.arg_to_int,
                     self.session.numfmt)


class Walk:
    """The state a walker generator receives: target, start address, session."""

    __slots__ = ("session", "addr", "args")

    def __init__(self, session: "Session", addr: int | None, args: list[Any] | None = None) -> None:
        self.session = session
        self.addr = addr
        self.args = args or []

    @property
    def target(self) -> Any:
        return self.session.target


def walk_addresses(session: "Session", name: str, addr: int | None) -> Iterator[int]:
    """Run the walker ``name`` (mdb_pwalk / mdb_walk) and yield its addresses."""
    walker = session.registry.session_walker(session, name)
    if walker is None:
        raise CmdError("failed to perform walk: unknown walk name")
    return iter(walker.func(Walk(session, addr)))


_NAME_OK = re.compile(r"^[A-Za-z_.$:/=>\\?@][0-9A-Za-z_.`<>?%@^]*$")
