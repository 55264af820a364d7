"""No byte from a dump reaches the terminal unescaped."""

import json

from kdb.target.dump import build_dump
from kdb.target.kernel import KernelTarget
from kdb.engine.session import Session

EVIL = "\x1b[2J\x1b]0;pwned\x07evil\x9b"


def evil_session(out):
    d = {"kdb_dump": 1, "system": {"nodename": "n" + EVIL},
         "modules": [{"name": "m", "symbols": [{"name": "sym" + EVIL, "addr": "0x1000", "size": 16}]}],
         "msgbuf": [EVIL + "\n"],
         "procs": [{"addr": "0x2000", "pid": 0, "comm": "c" + EVIL, "psargs": "a" + EVIL,
                    "threads": [{"addr": "0x3000", "state": "sleep", "sp": "0x4000", "name": "t" + EVIL,
                                 "stack": ["swtch+4"]}]}]}
    return Session(KernelTarget(build_dump(json.loads(json.dumps(d)))), write=out.append,
                   write_err=out.append)


def test_dump_strings_are_escaped_by_every_dcmd_that_prints_them():
    out = []
    s = evil_session(out)
    for cmd in ("::ps", "::ps -f", "::pgrep c", "::threadlist", "::msgbuf", "::status", "1000=p",
                "::nm", "1000::whatis", "0x3000::findstack", "::stacks"):
        out.clear()
        s.run_string(cmd + "\n")
        text = "".join(out)
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text, (cmd, text)
    out.clear()
    s.run_string("::ps\n")
    assert "c\\x1b[2J\\x1b]0;pwned\\x07evil\\x9b" in "".join(out)


# -- every dcmd, on a dump whose every free-text string is hostile -------------------------

import copy  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from kdb.target.dump import DumpError  # noqa: E402
from test_loader import paths  # noqa: E402

ROOT = Path(__file__).parent.parent
_NOT_TEXT = re.compile(r"0x[0-9a-fA-F]*|\d{4}-\d\d-\d\dT.*")
# keys whose strings are code locations, enums or times, never free text
_CODE_KEYS = {"stack", "start", "pc", "resume", "state", "type", "kind", "status", "time",
              "boot_time", "dump", "content", "isa", "machine"}


def _string_slots(d):
    return [p for p in paths(d) if p and isinstance(_get(d, p), str)]


def _set(d, path, value):
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value


def evil_everywhere() -> tuple[dict, int]:
    """jurassic plus typed objects, with EVIL appended to every string the
    format lets be free text (the loader refuses it elsewhere, and says so)."""
    d = json.loads((ROOT / "dumps" / "jurassic.json").read_text())
    extra = json.loads((ROOT / "tests" / "data" / "objects.json").read_text())
    d.update({k: extra[k] for k in ("types", "objects", "memory")})
    d["objects"][0]["value"]["label"] = "lbl" + EVIL
    slots = [p for p in _string_slots(d) if p[0] not in ("types", "objects")
             and not _CODE_KEYS & {k for k in p if isinstance(k, str)}
             and not _NOT_TEXT.fullmatch(_get(d, p))]
    for p in slots:
        _set(d, p, _get(d, p) + EVIL)
    kept = len(slots)
    while True:
        try:
            build_dump(copy.deepcopy(d), "evil")
            return d, kept
        except DumpError as e:              # not free text after all: put it back
            p = _path_of(e.path)
            assert p in slots, e
            _set(d, p, _get(d, p)[: -len(EVIL)])
            slots.remove(p)
            kept -= 1


def _get(d, path):
    for k in path:
        d = d[k]
    return d


def _path_of(jpath: str) -> tuple:
    out: list = []
    for name, idx in re.findall(r"\.(\w+)|\[(\d+)\]", jpath):
        out.append(name if name else int(idx))
    return tuple(out)


SKIP = {"quit", "$q", "$Q", "$<", "$<<", "load", "unload", "$w", "$d", "$s", "$v"}
#: dcmds that read all of memory (seconds on jurassic's quarter million
#: property images) and print only numbers: two addresses are enough
WHOLE_MEMORY = {"kgrep"}


def test_no_dcmd_lets_a_dump_byte_reach_the_terminal():
    d, kept = evil_everywhere()
    assert kept > 700                     # comm, psargs, names, props, messages, ...
    out: list[str] = []
    s = Session(KernelTarget(build_dump(d, "evil")), write=out.append, write_err=out.append,
                shell_allowed=False)
    dump = s.target.dump
    addrs = ["", "e4", "1000", f"{dump.procs[3].addr:x}", f"{dump.threads[40].addr:x}",
             f"{dump.sobjs[0].addr:x}", f"{dump.cpus[1].addr:x}", f"{dump.zones[0].addr:x}",
             f"{dump.devinfo[0].children[1].addr:x}", f"{dump.modules[0].symbols[0].addr:x}"]
    names = sorted(c.name for c in s.registry.all_dcmds() if c.name not in SKIP)
    assert len(names) > 50
    ran = 0
    for name in names:
        prefix = "" if not name[0].isalpha() else "::"
        for a in (addrs[:2] if name in WHOLE_MEMORY else addrs):
            for suffix in ("", " -v", " proc_t", " node_t next"):
                out.clear()
                s.run_string(f"{a}{prefix}{name}{suffix}\n")
                text = "".join(out)
                assert not any(c in text for c in "\x1b\x07\x9b\x00"), (a, name, suffix, text[:300])
                assert "internal error" not in text, (a, name, suffix, text)
                ran += 1
    for walker in sorted(w.name for w in s.registry.all_walkers()):
        out.clear()
        s.run_string(f"::walk {walker} | ::head -n 40 | ::print -t proc_t p_user.u_comm\n"
                     f"::walk {walker} | ::head -n 40 | ::whatis\n")
        assert not any(c in "".join(out) for c in "\x1b\x07\x9b\x00"), walker
    assert ran > 2000
