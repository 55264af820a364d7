"""numtostr / strtonum: radix rendering, the base-prefix rule, conversion errors."""

import pytest

from kdb.errors import SyntaxFault
from kdb.numbers import numtostr, signed, strtonum


@pytest.mark.parametrize("value,base,expected", [
    (8, 16, "8"), (9, 16, "9"), (0xa, 16, "0xa"), (0x28, 16, "0x28"),
    (9, 10, "9"), (40, 10, "0t40"), (7, 8, "7"), (8, 8, "0o10"), (1, 2, "1"), (2, 2, "0i10"),
    (-5, 10, "-0t5"), (0, 16, "0"),
])
def test_showbase(value, base, expected):
    assert numtostr(value, base, showbase=True) == expected


def test_signpos_and_upper():
    assert numtostr(16, 16, showbase=True, signpos=True) == "+0x10"
    assert numtostr(-16, 16, showbase=True, signpos=True) == "-0x10"
    assert numtostr(0xabc, 16, upper=True) == "ABC"


@pytest.mark.parametrize("text,radix,value", [
    ("0x10", 16, 16), ("0t10", 16, 10), ("0o17", 16, 15), ("0i101", 16, 5),
    ("10", 16, 16), ("10", 10, 10), ("1_000", 10, 1000), ("0t1_", 16, 1), ("0XfF", 10, 255),
    ("ffffffffffffffff", 16, (1 << 64) - 1),
])
def test_strtonum(text, radix, value):
    assert strtonum(text, radix) == value


def test_strtonum_errors():
    with pytest.raises(SyntaxFault, match="digit 'a' is invalid in current base"):
        strtonum("1a", 10)
    with pytest.raises(SyntaxFault, match="digit '8' is invalid"):
        strtonum("8", 8)
    with pytest.raises(SyntaxFault, match="exceeds maximum immediate value"):
        strtonum("1" + "0" * 16, 16)


def test_signed():
    assert signed(0xff, 8) == -1
    assert signed(0x7f, 8) == 127
    assert signed((1 << 64) - 5) == -5
