"""Session control: ``$d``, ``$s``, ``$w``, ``$q``/``::quit``, ``::set``,
``$<``/``$<<`` macros, ``::load``/``::unload``, and the target-specific
dcmds that need a target (``::status``, ``$c``...) (docs/dcmds.md)."""

from __future__ import annotations

import os
import stat

from kdb.errors import CmdError, QuitSession
from kdb.modapi import DCMD_USAGE, Call, Module, Opt

module = Module("kdb", builtin=True)

MAX_MACRO_BYTES = 16 << 20     # a macro file larger than this is refused, not read

# legacy adb macro names mapped to dcmds (mdb_macalias.c)
MACRO_ALIASES = {
    "msgbuf": "::msgbuf",
    "threadlist": "::threadlist -v",
    "sema": "::print sema_impl_t",
    "thread": "::print kthread_t",
    "pid2proc": "::pid2proc |::print proc_t",
    "cpus": "::walk cpu |::cpuinfo -v",
    "cpun": "::cpuinfo -v",
    "modules": "::modinfo",
    "panicbuf": "::panicinfo",
    "proc": "::print proc_t",
    "mutex": "::mutex",
    "rwlock": "::rwlock",
    "stack": "$c",
    "stacktrace": "$c",
    "stackregs": "$C",
    "kmastat": "::kmastat",
    "zone": "::print zone_t",
    "cpu": "::print cpu_t",
    "devinfo": "::print struct dev_info",
    "modctl": "::print struct modctl",
    "ddi_prop": "::print struct ddi_prop",
}


@module.dcmd("$d", None, "get/set default output radix")
def radix(call: Call) -> int | None:
    s = call.session
    if call.args:
        return DCMD_USAGE
    if call.addrspec:
        if call.addr < 2 or call.addr > 16:
            raise CmdError("expected radix from 2 to 16")
        s.radix = call.addr
    call.printf("radix = %d base ten\n", s.radix)
    return None


@module.dcmd("$s", None, "get/set symbol matching distance")
def symdist(call: Call) -> int | None:
    s = call.session
    if call.args:
        return DCMD_USAGE
    if call.addrspec:
        s.symdist = call.addr
    call.printf("symbol matching distance = %lr (%s)\n", s.symdist,
                "smart mode" if s.symdist == 0 else "absolute mode")
    return None


@module.dcmd("$w", None, "get/set output page width")
def pgwidth(call: Call) -> int | None:
    s = call.session
    if call.args:
        return DCMD_USAGE
    if call.addrspec:
        if call.addr < 1:
            raise CmdError("page width must be at least 1")
        s.out.cols = call.addr
    call.printf("output page width = %lu\n", s.out.cols)
    return None


def _quit(call: Call) -> int | None:
    raise QuitSession(0)


module.dcmd("$q", None, "quit debugger")(_quit)
module.dcmd("$Q", None, "quit debugger")(_quit)
module.dcmd("quit", None, "quit debugger")(_quit)


@module.dcmd("set", None, "get/set debugger properties",
             help="Set an option with -o NAME, clear it with +o NAME. Options:\n"
                  "  autowrap    wrap all output at the page width\n"
                  "  repeatlast  an empty line repeats the last command (adb)\n"
                  "  vi, emacs   line editing mode of the interactive prompt\n"
                  "Without arguments, print the current settings.",
             options=[Opt("w", bool, "open the target for writing (dumps stay read-only)"),
                      Opt("F", bool, "force taking over the target (a dump has no owner)"),
                      Opt("o", list, "set (-o) or clear (+o) options, comma-separated", arg="opt",
                          plus=True, usage="[+/-o opt]"),
                      Opt("s", int, "the symbol matching distance", arg="dist"),
                      Opt("I", str, "the macro file search path ($<), colon-separated", arg="path"),
                      Opt("L", str, "the module search path (::load), colon-separated", arg="path"),
                      Opt("P", str, "the prompt string", arg="prompt")])
def set_(call: Call) -> int | None:
    s = call.session
    if not call.args and all(v in (None, False, []) for v in call.opts.values()):
        on = [k for k, v in s.options.items() if v]
        call.printf("  follow_exec_mode=ask, follow_fork_mode=parent\n")
        call.printf("  symbol matching distance=%lr (%s)\n", s.symdist,
                    "smart" if s.symdist == 0 else "absolute")
        call.printf("  options=%s\n", ",".join(on) if on else "none")
        call.printf("  edit mode=%s\n", s.extensions.get("editmode", "emacs"))
        return None
    o = call.opts
    for sign, names in o["o"]:
        for opt in names.split(","):
            if opt in ("vi", "emacs"):
                s.extensions["editmode"] = opt if sign else "emacs"
            elif opt in s.options:
                s.options[opt] = sign
                if opt == "autowrap":
                    s.out.autowrap_opt = sign
            else:
                raise CmdError(f"invalid option: {opt}")
    if o["s"] is not None:
        s.symdist = o["s"]
    if o["I"] is not None:
        s.macro_path = o["I"]
    if o["L"] is not None:
        s.module_path = o["L"]
    if o["P"] is not None:
        s.prompt = o["P"]
    return None


def _macro(call: Call, *, replace: bool) -> int | None:
    s = call.session
    if len(call.args) != 1 or not isinstance(call.args[0], str):
        return DCMD_USAGE
    name = call.args[0]
    if replace:
        s.vars["9"] = 1
    prefix = f"0x{call.addr:x}" if call.addrspec else ""
    alias = MACRO_ALIASES.get(name)
    if alias is not None and "/" not in name:
        r = s.run_string(prefix + alias + "\n", f"$<{name}")
        return 1 if r.parse_error else r.status
    path = name
    if "/" not in name:
        for d in s.macro_path.split(os.pathsep):
            if d and os.path.isfile(os.path.join(d, name)):
                path = os.path.join(d, name)
                break
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)     # a FIFO must not block the session
        with open(fd, encoding="utf-8", errors="replace") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise CmdError(f"failed to open {name}: not a regular file")
            text = f.read(MAX_MACRO_BYTES + 1)
    except OSError as e:
        raise CmdError(f"failed to open {name}: {e.strerror}") from None
    except ValueError:              # a NUL in the name
        raise CmdError(f"failed to open {name}: invalid file name") from None
    if len(text) > MAX_MACRO_BYTES:
        raise CmdError(f"failed to open {name}: larger than {MAX_MACRO_BYTES} bytes")
    if call.addrspec:
        s.dot = call.addr
    r = s.run_string(text, name, stop_on_error=False, is_string=False)
    return 1 if r.parse_error else r.status


@module.dcmd("$<", "macro-name", "replace input with macro")
def exec_file(call: Call) -> int | None:
    return _macro(call, replace=True)


@module.dcmd("$<<", "macro-name", "source macro")
def src_file(call: Call) -> int | None:
    return _macro(call, replace=False)


@module.dcmd("load", "module", "load debugger module",
             help="Load a debugger module: a Python file defining a kdb.modapi.Module,\n"
                  "given by path or by name in the module search path (::set -L).",
             options=[Opt("s", bool, "silently: no \"Loaded module\" line"),
                      Opt("d", bool, "defer the load (kdb loads at once, as mdb does for a dump)")])
def load(call: Call) -> int | None:
    opts, rest = call.opts, call.args
    if len(rest) != 1 or call.addrspec:
        return DCMD_USAGE
    if not call.session.shell_allowed:
        raise CmdError("loading modules is disabled (--no-shell): a module runs code")
    path = os.path.expanduser(str(rest[0]))
    if "/" not in path:
        for d in call.session.module_path.split(os.pathsep):
            for name in (path, path + ".py"):
                if d and os.path.isfile(os.path.join(d, name)):
                    path = os.path.join(d, name)
                    break
            if "/" in path:
                break
    loaded = call.session.registry.load_file(path)
    if not opts["s"]:
        for m in loaded:
            call.printf("Loaded module %s\n", m.name)
    return None


@module.dcmd("unload", "module", "unload debugger module",
             options=[Opt("s", bool, "silently: no error when the module is not loaded")])
def unload(call: Call) -> int | None:
    opts, rest = call.opts, call.args
    if len(rest) != 1 or call.addrspec:
        return DCMD_USAGE
    name = str(rest[0])
    mod = call.session.registry.modules.get(name)
    if mod is not None and mod.builtin:
        raise CmdError(f"failed to unload {name}: module is built-in")
    if mod is None and opts["s"]:
        return None
    call.session.registry.remove(name)
    return None


def _notsup(call: Call) -> int | None:
    raise CmdError("command is not supported by current target")


for _name, _usage, _descr in (
        ("status", None, "print summary of current target"),
        ("$c", "?[cnt]", "print stack backtrace"),
        ("$C", "?[cnt]", "print stack backtrace"),
        ("stack", "?[cnt]", "print stack backtrace"),
        ("$r", None, "print general-purpose registers"),
        ("$?", "", "print status and registers")):
    module.dcmd(_name, _usage, _descr)(_notsup)
