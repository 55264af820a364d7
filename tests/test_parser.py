"""The lexer/parser: statement forms, expressions, argument and format lists."""

import pytest

from kdb.errors import ParseAbort, SyntaxFault
from kdb.lang.parser import Parser, escape_text, stresc2chr
from kdb.engine.session import Session
from kdb.lang.statements import FmtChar, FmtCount, FmtText


@pytest.fixture
def session():
    return Session(write=lambda s: None, write_err=lambda s: None)


def parse(session, line):
    p = Parser(session, line)
    out = []
    while True:
        st = p.next()
        if st is None:
            return out
        out.append(st)


def value(session, text):
    return Parser(session, text).expr()


@pytest.mark.parametrize("text,expected", [
    ("1+2*3", 7), ("(1+2)*3", 9), ("10%3", 5), ("-5%2", (1 << 64) - 2), ("0t10%%0t3", 1),
    ("0t10#0t8", 16), ("#0", 1), ("#7", 0), ("~0", (1 << 64) - 1), ("-1", (1 << 64) - 1),
    ("1<<0t63", 1 << 63), ("-1>>0t63", 1), ("3==3", 1), ("3!=3", 0), ("6&3", 2), ("6|3", 7),
    ("6^3", 5), ("1|2^3", 1), ("2*7%%4", 6), ("'a'", 0x61), ("'ab'", 0x6162),
    ("0i1_0_1", 5), ("0o777", 511), ("0t1.0", 0x3FF0000000000000), ("e4", 0xE4),
])
def test_expressions(session, text, expected):
    assert value(session, text) == expected


def test_statement_forms(session):
    st, = parse(session, "1,2::echo a 'b c' $[3]")
    assert (st.form, st.addr, st.count) == ("pipeline", 1, 2)
    assert st.stages[0].name == "::echo"
    assert st.stages[0].args == ["a", "b c", 3]
    st, = parse(session, "0t5")
    assert (st.form, st.addr) == ("naked", 5)
    st, = parse(session, ",3")
    assert (st.form, st.addr, st.count) == ("naked", None, 3)
    st, _ = parse(session, "! echo hi ; 1")
    assert (st.form, st.shell) == ("shell", "echo hi ")


def test_pipeline_and_sink(session):
    st, = parse(session, "::walk proc | ::echo x ! wc -l")
    assert [s.name for s in st.stages] == ["::walk", "::echo"]
    assert st.sink == "wc -l"
    st, = parse(session, "! 'seq 3' | ::map .")
    assert st.stages[0].shell == "seq 3" and st.stages[1].name == "::map"
    st, = parse(session, "::echo 1 ! 'cat' | ::map .")
    assert [s.shell for s in st.stages] == [None, "cat", None]


def test_fmtlist(session):
    st, = parse(session, '=3X"lit"$[2]j')
    assert st.stages[0].args == [FmtCount(3), FmtChar("X"), FmtText("lit"), FmtCount(2),
                                 FmtChar("j")]


def test_write_modifier_goes_to_arglist(session):
    st, = parse(session, "0x10/ W 1 2")
    assert st.stages[0].args == ["W", "1", "2"]


def test_comments_and_terminators(session):
    sts = parse(session, "1=X;2=X // comment ; 3=X")
    assert [s.form for s in sts] == ["pipeline", "pipeline"]
    st, = parse(session, "::echo foo//bar")
    assert st.stages[0].args == ["foo//bar"]


def test_quotes(session):
    st, = parse(session, "::echo a\"b c\"d 'x\\ty' \"x\\ty\" \"\\$\"")
    assert st.stages[0].args == ["ab cd", "x\\ty", "x\ty", "\\$"]


@pytest.mark.parametrize("line,message", [
    ("1 2", "syntax error"), ("<undef", "variable 'undef' is not defined"),
    ("1%0=X", "attempted to divide by zero"), ("::echo $[1", "syntax error: $[ unmatched"),
    ("::echo 'x", "syntax error: ' unmatched"), ("0t1a", "syntax error"),
    ("*/z/0", "invalid cast -- */z/"), ("'123456789'", "character constant may not exceed 8 bytes"),
])
def test_syntax_faults(session, line, message):
    with pytest.raises(SyntaxFault) as e:
        parse(session, line)
    assert e.value.message == message


def test_parse_aborts(session):
    with pytest.raises(ParseAbort, match="invalid command '::nope': unknown dcmd name"):
        parse(session, "::nope")
    with pytest.raises(ParseAbort, match="failed to dereference symbol"):
        parse(session, "nosuchsym=X")


def test_near_token_is_last_token_read(session):
    p = Parser(session, "1 + + 2=X")
    with pytest.raises(SyntaxFault):
        while p.next():
            pass
    assert p.near == "2"


def test_escapes():
    assert stresc2chr(r"a\tb\nc\101\$\\\"") == "a\tb\ncA\\$\\\""
    assert escape_text("a\nb\x01") == "a\\nb\\1"
