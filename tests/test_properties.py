"""Property tests: random command lines never crash the engine.

Whatever is typed, the engine answers with its own errors (``kdb: ...``),
never a Python exception, and never an internal error.
"""

import contextlib
import signal

from hypothesis import HealthCheck, given, settings, strategies as st

from kdb.errors import QuitSession
from kdb.engine.session import InputSource, Session

TOKENS = [
    "1", "0", "ff", "0x10", "0t10", "0i101", "0o7", "e4", "-", "+", "*", "%", "%%", "#", "~",
    "&", "|", "^", "==", "!=", "<<", ">>", "(", ")", ",", ";", ".", "=", "/", "?", "\\", "@",
    ">x", "<x", "<.", "$[", "]", "'a'", "'", '"', "X", "J", "K", "j", "D", "s", "n", "t",
    "::echo", "::map", "::grep", "::eval", "::walk", "::head", "::vars", "::help", "::dcmds",
    "::formats", "::which", "$d", "$s", "$v", "$w", "$<", "::typeset", "::unset", " ", "-n",
    "//", "*/4/", "*/q/", "`", "$", ":", "::", "zz", "'\\n'", '"a b"', "0t1.5", "{", "\t",
]


def make_session():
    return Session(write=lambda s: None, write_err=lambda s: None, shell_allowed=False)


@contextlib.contextmanager
def interrupted_after(seconds: float):
    """A user's ^C after SECONDS: a line such as ``,0x10<<0x28::echo``
    repeats its command 2^44 times, as mdb would, until interrupted."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    old = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14))
def test_random_command_lines_never_raise(tokens):
    errors = []
    session = Session(write=lambda s: None, write_err=errors.append, shell_allowed=False)
    line = "".join(tokens)
    with interrupted_after(2.0):
        try:
            session.run_line(line, InputSource("(string)", is_string=True))
        except QuitSession:
            pass
    assert not any("internal error" in e for e in errors), (line, errors)


def test_a_huge_repeat_count_runs_until_interrupted():
    errors: list[str] = []
    lines: list[str] = []
    session = Session(write=lines.append, write_err=errors.append, shell_allowed=False)
    with interrupted_after(0.5):
        session.run_line(",0x10<<0x28::echo", InputSource("(string)", is_string=True))
    assert lines and not errors


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_arbitrary_text_never_raises(text):
    errors = []
    session = Session(write=lambda s: None, write_err=errors.append, shell_allowed=False)
    for line in text.split("\n"):
        if ",$" in line or "$w" in line:
            continue
        with interrupted_after(2.0):
            try:
                session.run_line(line, InputSource("(stdin)"))
            except QuitSession:
                break
    assert not any("internal error" in e for e in errors), (text, errors)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=(1 << 64) - 1),
       st.sampled_from(list("BCDEGHJKOQRUVWXYZbcdeghjoqsuvwxy")))
def test_every_format_char_formats_any_value(value, ch):
    chunks = []
    session = Session(write=chunks.append, write_err=lambda s: None)
    r = session.run_string(f"0x{value:x}={ch}\n")
    assert not r.parse_error and r.status == 0
    text = "".join(chunks)
    if ch in "sS" and value & 0xFF == 0:
        assert text == ""   # an empty string leaves only the margin, which is dropped
    else:
        assert text.endswith("\n") and text.startswith(" " * 16)


_ENCODED_TYPES = ["proc_t", "kthread_t", "zone_t", "cpu_t",
                  "struct bits { unsigned a : 3; unsigned b : 5; int c; }",
                  "union u { long l; int i; char c[8]; }"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_ENCODED_TYPES), st.data())
def test_images_encode_each_member_at_its_offset(tname, data):
    """The images' encoder (one plan per type, for a million threads) puts
    each integer member's value, cut to its size, at its offset, with zeros
    wherever no member was given (a union: the last member given wins)."""
    from kdb.target.ctype import TypeSystem
    from kdb.target.images import compile_encoder, kernel_types
    ts = TypeSystem("lp64")
    kernel_types(ts)
    if " " in tname:
        ts.declare(tname, synthetic=False)
        tname = tname.split("{")[0].strip()
    t = ts.lookup(tname)
    r = t.resolve()
    members = [m for m in r.members if m.name is not None and m.bit_size is None
               and m.type.resolve().kind in ("int", "enum", "pointer")]
    chosen = data.draw(st.lists(st.sampled_from(members), unique_by=lambda m: m.name)) if members else []
    value = {m.name: data.draw(st.integers(min_value=-(1 << 70), max_value=1 << 70)) for m in chosen}
    out = compile_encoder(t)(value)
    assert len(out) == r.size
    expect = bytearray(r.size)
    order = chosen if r.kind == "struct" else [m for m in members if m in chosen]
    for m in order:
        size = m.type.resolve().size
        expect[m.offset:m.offset + size] = (value[m.name] & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    assert out == bytes(expect)


def test_images_encode_bit_fields_into_their_unit():
    from kdb.target.ctype import TypeSystem
    from kdb.target.images import compile_encoder
    ts = TypeSystem("lp64")
    ts.declare("struct bits { unsigned a : 3; unsigned b : 5; int c; }", synthetic=False)
    assert compile_encoder(ts.lookup("struct bits"))({"a": 5, "b": 0x1f, "c": -1}) == \
        bytes([5 | (0x1f << 3), 0, 0, 0, 0xff, 0xff, 0xff, 0xff])
