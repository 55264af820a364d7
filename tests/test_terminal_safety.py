"""No byte from a dump reaches the terminal unescaped."""

import json

from kdb.loader import build_dump
from kdb.kernel import KernelTarget
from kdb.session import Session

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
