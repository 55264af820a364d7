"""::print against illumos's own mdb tests, on the same data.

numbers/tst.bitfields.ksh prints two structures of awkward bit-fields from
the test program progs/bitfields.c; its expected output
(tst.bitfields.ksh.out, 2021 version) is below byte for byte. The program's
two variables are laid out here as the compiler lays them out (bit-fields
from bit 0 of a little-endian unit).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from goldenlib import run_inprocess  # noqa: E402
from test_loader import minimal  # noqa: E402

EXPECTED = """\
broken_t {
    unsigned int:3 brk_a :3 = 0x3
    unsigned int:2 brk_b :2 = 0x3
    unsigned int:1 brk_c :1 = 0
    unsigned int:1 brk_d :1 = 0x1
    unsigned int:1 brk_e :1 = 0x1
    unsigned int:1 brk_f :1 = 0x1
    unsigned int:3 brk_g :3 = 0x3
    unsigned int:3 brk_h :3 = 0x5
    unsigned int:5 brk_i :5 = 0x3
    unsigned int:4 brk_j :4 = 0x9
    unsigned int:6 brk_k :6 = 0x13
    unsigned int:1 brk_l :1 = 0
    unsigned int:1 brk_m :1 = 0x1
}
broken6491_t {
    unsigned short:1 a :1 = 0x1
    unsigned short:8 b :8 = 0x2
    unsigned short:3 c :3 = 0
    unsigned short:2 d :2 = 0
    unsigned short:1 e :1 = 0x1
    unsigned short:1 f :1 = 0
}
"""


def _pack(fields: list[tuple[int, int]]) -> int:
    word, bit = 0, 0
    for width, value in fields:
        word |= value << bit
        bit += width
    return word


def test_upstream_bitfields(tmp_path: Path) -> None:
    first = _pack([(3, 3), (2, 3), (1, 0), (1, 1), (1, 1), (1, 1), (3, 3), (3, 5), (5, 3), (4, 9),
                   (6, 19), (1, 0), (1, 1)])
    second = _pack([(1, 1), (8, 2), (3, 0), (2, 0), (1, 1), (1, 0)])
    d = minimal()
    d["types"] = [
        "typedef struct broken { uint32_t brk_a:3; uint32_t brk_b:2; uint32_t brk_c:1; uint32_t brk_d:1; "
        "uint32_t brk_e:1; uint32_t brk_f:1; uint32_t brk_g:3; uint32_t brk_h:3; uint32_t brk_i:5; "
        "uint32_t brk_j:4; uint32_t brk_k:6; uint32_t brk_l:1; uint32_t brk_m:1; } broken_t",
        "typedef struct broken6491 { unsigned short a:1; unsigned short b:8; unsigned short c:3; "
        "unsigned short d:2; unsigned short e:1; unsigned short f:1; } broken6491_t",
    ]
    d["modules"] = [{"id": 1, "name": "bitfields", "text": "0x401000", "text_size": "0x1000",
                     "symbols": [{"name": "first", "addr": "0x412000", "size": 4, "kind": "object"},
                                 {"name": "second", "addr": "0x412004", "size": 2, "kind": "object"}]}]
    d["memory"] = [{"addr": "0x412000", "hex": first.to_bytes(4, "little").hex()
                    + second.to_bytes(2, "little").hex()}]
    path = tmp_path / "bitfields.json"
    path.write_text(json.dumps(d))
    out = ""
    # uint32_t is a typedef of unsigned int; the bit-field types carry the base name
    for cmd in ("first::print -t broken_t", "second::print -t broken6491_t"):
        o, err, code = run_inprocess(["-e", cmd, str(path)], None)
        assert code == 0, err
        out += o
    assert out == EXPECTED
