"""Device properties: the bytes kdb stores, how ``::prtconf -v`` interprets
them (devinfo.c ``devinfo_print_props_guess`` and ``_value``), that the
memory images agree with the printed lists, and hostile property data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dcmds.genunix.devprops import guess, type_text, value_text  # noqa: E402
from goldenlib import run_inprocess  # noqa: E402
from kdb.target.ddiprops import (DDI_PROP_TYPE_ANY, DDI_PROP_TYPE_BYTE, DDI_PROP_TYPE_INT,  # noqa: E402
                                 DDI_PROP_TYPE_INT64, DDI_PROP_TYPE_STRING, prop_blob, prop_type)
from kdb.target.dump import DumpError, build_dump  # noqa: E402

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("value,ptype,blob", [
    (True, DDI_PROP_TYPE_ANY, b""),
    (None, DDI_PROP_TYPE_ANY, b""),
    (1, DDI_PROP_TYPE_INT, b"\x01\0\0\0"),
    (-1, DDI_PROP_TYPE_INT, b"\xff\xff\xff\xff"),
    ([1, 2], DDI_PROP_TYPE_INT, b"\x01\0\0\0\x02\0\0\0"),
    (1 << 33, DDI_PROP_TYPE_INT64, (1 << 33).to_bytes(8, "little")),
    ("ab", DDI_PROP_TYPE_STRING, b"ab\0"),
    (["a", ""], DDI_PROP_TYPE_STRING, b"a\0\0"),
])
def test_a_value_is_stored_as_the_kernel_stores_it(value: object, ptype: int, blob: bytes) -> None:
    assert prop_type(value) == ptype
    assert prop_blob(value) == blob


def _show(ptype: int, blob: bytes) -> tuple[str, int, str | None]:
    size, count, _ = guess(ptype, blob)
    return type_text(ptype), count, value_text(size, count, blob) if blob else None


def test_ints_print_as_big_endian_words_joined_by_dots() -> None:
    assert _show(DDI_PROP_TYPE_INT, prop_blob([0x8086, 0x340A])) == ("type=int", 2, "00008086.0000340a")
    assert _show(DDI_PROP_TYPE_INT64, prop_blob(1 << 33)) == ("type=int64", 1, "0000000200000000")


def test_strings_are_quoted_and_joined_and_unprintable_ones_are_bytes() -> None:
    assert _show(DDI_PROP_TYPE_STRING, b"a\0bc\0") == ("type=string", 2, "'a' + 'bc'")
    assert _show(DDI_PROP_TYPE_STRING, b"a\tb\0") == ("type=string", 4, "61.09.62.00")
    # an empty string is a string only when the type says so
    assert _show(DDI_PROP_TYPE_STRING, b"\0") == ("type=string", 1, "''")
    assert _show(DDI_PROP_TYPE_ANY, b"\0") == ("type=any", 1, "00")
    # no NUL at the end: bytes
    assert _show(DDI_PROP_TYPE_ANY, b"ab") == ("type=any", 2, "61.62")
    assert _show(DDI_PROP_TYPE_BYTE, b"\x01\x02") == ("type=byte", 2, "01.02")
    assert _show(DDI_PROP_TYPE_ANY, b"") == ("type=any", 0, None)


def test_an_int_list_of_a_bad_length_is_bytes_with_a_note() -> None:
    assert guess(DDI_PROP_TYPE_INT, b"\x01\x02\x03\x04\x05") == (1, 5, True)
    assert type_text(0x4000) == "type=0x4000"


def _run(cmd: str, dump: str = "panic") -> tuple[str, str, int]:
    return run_inprocess(["-e", cmd, dump], None)


def test_the_memory_images_hold_what_prtconf_prints() -> None:
    """Each list's ddi_prop entries, read back through ::print, have the
    type and length the printed line was decoded from."""
    out, err, code = _run("::prtconf -v")
    assert code == 0, err
    lists = [line.split(" at ")[1].rstrip(":") for line in out.splitlines()
             if "properties at" in line and not line.strip().startswith("Global")]
    assert len(lists) == 4
    for base in lists:
        walked, _, _ = _run(f"{base}::walk ddi_prop | ::print ddi_prop_t prop_flags prop_len prop_name")
        fields = walked.splitlines()
        assert fields, base
        for i in range(0, len(fields), 3):
            flags = int(fields[i].split("= ")[1], 16)
            length = int(fields[i + 1].split("= ")[1], 16)
            name = fields[i + 2].split('"')[1]
            line = next(x for x in out.splitlines() if f"name='{name}'" in x)
            assert type_text(flags & 0x1F00) in line
            if length == 0:
                assert "items=0" in line


def test_a_driver_with_a_quarter_million_properties_prints_them_all() -> None:
    """ii's global list (the seed's 262,144 repeated ii_bitmap entries) is
    printed entry by entry, as mdb walks prop_next."""
    out, err, code = _run("::devbindings ii", "jurassic")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("ii, instance #0 (driver not attached)")
    assert lines[1].strip().startswith("Global properties at ")
    assert sum(1 for x in lines if "name='ii_bitmap'" in x) == 262145
    assert len(lines) == 2 + 2 * 262149      # five entries, then 262,144 ii_bitmap


def _panic() -> dict:
    return json.loads((ROOT / "dumps" / "panic.json").read_text())


def _mydrv(d: dict) -> dict:
    return d["devinfo"]["children"][1]["children"][0]


@pytest.mark.parametrize("key,value,path", [
    ("props", {"x": {"nested": 1}}, "$.devinfo[0].children[1].children[0].props.x"),
    ("hw_props", {"x": [1, "a"]}, "$.devinfo[0].children[1].children[0].hw_props.x"),
    ("sys_props", {"x": 1.5}, "$.devinfo[0].children[1].children[0].sys_props.x"),
    ("props", [1, 2], "$.devinfo[0].children[1].children[0].props"),
    ("state", "sleepy", "$.devinfo[0].children[1].children[0].state"),
    ("refcnt", -1, "$.devinfo[0].children[1].children[0].refcnt"),
])
def test_bad_property_data_is_refused_with_its_path(key: str, value: object, path: str) -> None:
    d = _panic()
    _mydrv(d)[key] = value
    with pytest.raises(DumpError) as e:
        build_dump(d, "hostile.json")
    assert e.value.path.startswith(path), e.value.path


def test_hostile_names_and_values_reach_the_terminal_sanitised(tmp_path: Path) -> None:
    d = _panic()
    _mydrv(d)["props"] = {"\x1b[31mred": "\x1b]0;title\x07", "n" * 5000: ["\x9b2J", "ok"],
                          "big": [(1 << 64) + 5, -(1 << 70)], "": ""}
    _mydrv(d)["unit_address"] = "\x1b[2J"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(d))
    for cmd in ("::prtconf -v", "ffffff01d6f27a10::devinfo -s", "::devbindings mydrv"):
        out, err, code = run_inprocess(["-e", cmd, str(path)], None)
        assert code == 0, err
        assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    out, _, _ = run_inprocess(["-e", "::prtconf -v", str(path)], None)
    # a name is read into 128 bytes, as mdb's prop_name buffer
    assert "name='" + "n" * 127 + "'" in out and "n" * 128 not in out


def test_every_kernel_variable_is_documented() -> None:
    from kdb.target.globals import VARS
    text = (ROOT / "docs" / "kernel-variables.md").read_text()
    assert all(f"`{v.name}`" in text for v in VARS)


@pytest.mark.parametrize("globals_,path", [
    ({"hz": 1000}, "$.globals.hz"),
    ({"physmem": -1}, "$.globals.physmem"),
    ({"physmem": "lots"}, "$.globals.physmem"),
    ({"max_ncpus": 2}, "$.globals.max_ncpus"),
    ([1], "$.globals"),
])
def test_bad_globals_are_refused_with_their_path(globals_: object, path: str) -> None:
    d = _panic()
    d["globals"] = globals_
    with pytest.raises(DumpError) as e:
        build_dump(d, "hostile.json")
    assert e.value.path == path, e.value.path


def test_globals_set_what_the_dump_knows(tmp_path: Path) -> None:
    d = _panic()
    d["globals"] = {"physmem": 0x3fff8b, "max_ncpus": 8, "x_note": "fine"}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(d))
    out, err, code = run_inprocess(["-e", "physmem/J; max_ncpus/D; cpu/8K", str(path)], None)
    assert code == 0, err
    assert "3fff8b" in out and "max_ncpus:      8" in out


def test_hostile_device_data_reaches_a_pipe_as_safe_bytes(tmp_path: Path) -> None:
    """The same at the real boundary: the CLI's stdout bytes, through a pipe,
    for the device tree, a kernel variable's strings and ::nm's C types."""
    import subprocess
    d = _panic()
    d["system"]["nodename"] = "host\x1b]0;pwned\x07"
    _mydrv(d)["props"] = {"\x1b[31mred": "\x1b]0;title\x07", "x": ["\x9b2J", "ok"]}
    _mydrv(d)["hw_props"] = {"model": "\x1b[2J\x00tail"}
    _mydrv(d)["unit_address"] = "\x1b[2J"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(d))
    cmds = "::prtconf -v; ffffff01d6f27a10::devinfo -s; utsname::print; ::nm -f ctype,name -t objt"
    r = subprocess.run([sys.executable, "-m", "kdb", "-e", cmds, str(path)], capture_output=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    for stream in (r.stdout, r.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream and b"\xc2\x9b" not in stream
        assert b"\x9b" not in stream and b"\x00" not in stream
    assert b"properties at" in r.stdout and b"nodename" in r.stdout
