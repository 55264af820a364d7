"""The output engine's spacing rules and mdb_printf conversions."""

from kdb.output.iob import OutputBuffer
from kdb.output.printf import bitmask_text, mprintf


class Env:
    radix = 16
    ptr_width = 16

    def __init__(self, syms=None):
        self.syms = syms or {}

    def addr2str(self, addr):
        for name, (base, size) in self.syms.items():
            if base <= addr < base + size:
                off = addr - base
                return name if not off else f"{name}+{off:#x}" if off > 9 else f"{name}+{off}"
        return None

    def var_value(self, name):
        return 12


def render(fmt, *args, cols=80, indent=False, wrap=False, syms=None):
    chunks = []
    out = OutputBuffer(chunks.append, cols=cols)
    out.forced_wrap = wrap
    if indent:
        out.set_indent(True)
    mprintf(out, Env(syms), fmt, *args)
    out.set_indent(False)
    out.nlflush()
    return "".join(chunks)


def test_basic_conversions():
    assert render("%x %X %#x %#x\n", 255, 255, 255, 0) == "ff FF 0xff 0\n"
    assert render("%d %u %d\n", -1, -1, 0x80000000) == "-1 4294967295 -2147483648\n"
    assert render("%lld %llu\n", -1, -1) == "-1 18446744073709551615\n"
    assert render("%hd %hx\n", 0x18001, 0x12345) == "-32767 2345\n"
    assert render("%o %#o %#o %q\n", 8, 8, 0, -8) == "10 010 0 -10\n"
    assert render("%r %#r %#lr\n", 10, 10, 5) == "a 0xa 5\n"
    assert render("%p %?p|\n", 0xdead, 0xdead) == "dead             dead|\n"
    assert render("%0?p\n", 0xdead) == "000000000000dead\n"
    assert render("%-8s|%8s|\n", "ab", "cd") == "ab      |      cd|\n"
    assert render("%s\n", None) == "<NULL>\n"
    assert render("%c%c\n", 65, "b") == "Ab\n"
    assert render("%%\n") == "%\n"
    assert render("%*d|\n", 5, 42) == "   42|\n"


def test_symbolic_addresses():
    syms = {"main": (0x1000, 0x100)}
    assert render("%a %a %a\n", 0x1000, 0x1005, 0x1010, syms=syms) == "main main+5 main+0x10\n"
    assert render("%#a %a\n", 0x1000, 0x5000, syms=syms) == "main: 0x5000\n"
    assert render("%a\n", 8, syms=syms) == "8\n"


def test_time_and_misc():
    assert render("%Y\n", 1210613940) == "2008 May 12 17:39:00\n"
    assert render("%I\n", 0x7F000001) == "127.0.0.1\n"
    assert render("%H %H\n", 1024, 1536) == "1K 1.50K\n"
    assert render("%<_foo>\n") == "12\n"
    assert render("%<b>bold%</b>\n") == "bold\n"   # no attributes off a terminal
    assert bitmask_text(5, [("A", 1, 1), ("B", 2, 2), ("C", 4, 4)]) == "A,C"


def test_tab_stops():
    assert render("ab\tc\n") == "ab      c\n"
    assert render("abc%16Tx\n") == "abc             x\n"
    assert render("%16Tx\n") == "x\n"


def test_indent_margin_and_nlflush():
    assert render("x", indent=True) == "                x\n"
    assert render("", indent=True) == ""
    assert render("a\nb\n", indent=True) == "                a\n                b\n"


def test_autowrap_item_and_padding():
    # 4 items of %-16x fit exactly in 80 columns: the last padding becomes the newline
    out = render("%-16x%-16x%-16x%-16x%-16x", 1, 2, 3, 4, 5, indent=True, wrap=True)
    assert out == "                1               2               3               4\n" \
                  "                5               \n"
    # an item that would pass the edge moves to the next line first
    out = render("%-17llx%-17llx%-17llx%-17llx", (1 << 64) - 1, (1 << 64) - 1, (1 << 64) - 1,
                 (1 << 64) - 1, indent=True, wrap=True)
    assert out.splitlines()[1] == " " * 16 + "ffffffffffffffff "


def test_no_wrap_without_autowrap():
    text = "x" * 100
    assert render("%s\n", text) == text + "\n"


def test_verbatim_text_split_at_edge():
    chunks = []
    out = OutputBuffer(chunks.append, cols=10)
    out.forced_wrap = True
    out.write("abcdefghijklmno")
    out.nlflush()
    assert "".join(chunks) == "abcdefghij\nklmno\n"


def test_upstream_autowrap_output() -> None:
    """illumos-gate's usr/src/test/util-tests/tests/mdb/options/
    tst.autowrap.mdb.out, byte for byte: a long string and 0, then 0s
    left-aligned in fields of 79, 80 and 81 columns and a 0, first with
    autowrap off, then on. (The test's input is held out; these formats
    are the ones that print its output.) Right-aligned padding fills and
    wraps mid-fill (mdb_iob_fill), left-aligned padding that reaches the
    edge is a newline (mdb_iob_ws), an item that would pass the edge
    starts a new line unless the line is empty (IOB_WRAPNOW)."""
    s = ("Pack my box with five dozen liquor jugs. How razorback-jumping frogs can level six "
         "piqued gymnasts! Amazingly few discotheques provide jukeboxes.")
    chunks: list[str] = []
    for wrap in (False, True):
        out = OutputBuffer(chunks.append)
        out.autowrap_opt = wrap
        mprintf(out, Env(), "%s%d\n", s, 0)
        for width in (79, 80, 81):
            mprintf(out, Env(), "%-*d%d\n", width, 0, 0)
        out.nlflush()
    expected = (s + "0\n" + "0" + " " * 78 + "0\n" + "0" + " " * 79 + "0\n" + "0" + " " * 80 + "0\n"
                + s[:80] + "\n" + s[80:] + "0\n" + "0" + " " * 78 + "0\n" + "0\n0\n0\n0\n")
    assert "".join(chunks) == expected
