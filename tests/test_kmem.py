"""The kmem allocator model (kdb.target.kmem): compact groups expanded by
arithmetic, the conservative leak scan over memory images, ::whatis of
buffers, ::kmem_verify over buftags and patterns, and the loader's rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from kdb.engine.session import Session
from kdb.target.dump.checks import DumpError
from kdb.target.dump import build_dump
from kdb.target.kernel import KernelTarget
from kdb.target.kmem import kmem

T1 = "0xffffff0900001000"


def _dump(caches: list[dict[str, Any]], memory: list[dict[str, Any]] | None = None,
          **kmem_extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "kdb_dump": 1, "system": {"nodename": "k", "time": "2011-09-14T09:41:27Z", "version": "joyent_20110727T191049Z",
                                  "boot_time": "2011-09-14T08:41:27Z"},
        "panic": {"message": "forced crash dump initiated at user request", "cpu": 0, "thread": T1},
        "cpus": [{"id": 0, "addr": "0xfffffffffbc4f0c0", "thread": T1}],
        "procs": [{"addr": "0xfffffffffbc28c30", "pid": 0, "comm": "sched", "threads": [
            {"addr": T1, "state": "onproc", "cpu": 0, "sp": "0xffffff0008fffe00",
             "stack": ["panic+0x10", "thread_start+8"]}]}],
        "globals": {"kmem_flags": "0xf"},
        "kmem": {"caches": caches, **kmem_extra}}
    if memory:
        d["memory"] = memory
    return d


def _run(d: dict[str, Any], *commands: str) -> str:
    out: list[str] = []
    s = Session(KernelTarget(build_dump(d)), write=out.append, write_err=out.append)
    for c in commands:
        s.run_string(c + "\n")
    s.out.nlflush()
    return "".join(out)


def _leaky_cache(**group: Any) -> dict[str, Any]:
    return {"name": "kmem_alloc_64", "size": 64, "allocated": [
        {"count": 100, "root": "mydrv`kept"},
        {"count": 7, "stack": ["mydrv`lose_it+0x10", "mydrv`mydrv_ioctl+0x20"], **group}]}


def test_groups_expand_by_arithmetic_and_addresses_round_trip():
    km = kmem(build_dump(_dump([_leaky_cache()])))
    assert km is not None
    c = km.caches[0]
    assert (c.nalloc, c.chunk, c.per_slab) == (107, 64 + 24, 4096 // 88)
    assert c.total % c.per_slab == 0 and c.total >= 107
    for i in (0, 45, 46, 106, c.total - 1):
        assert c.index_of(c.buffer(i) + 5) == (i, 5)
        assert km.cache_of(c.buffer(i)) is c
    assert c.index_of(c.base + c.per_slab * c.chunk) is None        # slab padding
    assert c.link(0) == c.buffer(1) and c.link(99) == 0 and c.link(100) == 0


def test_findleaks_reports_what_no_scanned_word_reaches():
    out = _run(_dump([_leaky_cache()]), "::findleaks")
    rows = [line.split() for line in out.splitlines() if line.startswith("ffffff")]
    assert [(r[1], r[3]) for r in rows] == [("7", "lose_it+0x10")], out
    assert out.splitlines()[-1].split() == ["Total", "7", "buffers,", "448", "bytes"]


def test_a_word_in_the_dumps_memory_keeps_a_buffer_and_what_it_points_to():
    km = kmem(build_dump(_dump([_leaky_cache()])))
    c = km.caches[0]
    target = c.buffer(100)          # the first of the seven, which point nowhere
    mem = [{"addr": "0xfffffffff8000000", "hex": target.to_bytes(8, "little").hex() + "00" * 8}]
    out = _run(_dump([_leaky_cache()], memory=mem), "::findleaks")
    assert "      6 " in out and "      7 " not in out, out


def test_a_pointer_into_the_buftag_does_not_count():
    km = kmem(build_dump(_dump([_leaky_cache()])))
    c = km.caches[0]
    into_tag = c.buffer(100) + 64 + 8          # past the 64-byte buffer: its buftag
    mem = [{"addr": "0xfffffffff8000000", "hex": into_tag.to_bytes(8, "little").hex()}]
    out = _run(_dump([_leaky_cache()], memory=mem), "::findleaks -fv")
    assert "      7 " in out
    assert "findleaks:                         misses => 1 " in out


def test_no_leaks_and_a_filter_say_so():
    clean = {"name": "kmem_alloc_64", "size": 64, "allocated": [{"count": 10, "root": "mydrv`kept"}]}
    assert _run(_dump([clean]), "::findleaks") == "findleaks: no memory leaks detected\n"
    out = _run(_dump([_leaky_cache()]), "mydrv`mydrv_ioctl::findleaks", "mydrv`kept::findleaks")
    assert "lose_it+0x10" in out and out.endswith("findleaks: no memory leaks matching kept found\n")


def test_whatis_names_the_cache_and_prints_the_bufctl():
    km = kmem(build_dump(_dump([_leaky_cache()])))
    c = km.caches[0]
    addr = c.buffer(103) + 0x10
    out = _run(_dump([_leaky_cache()]), f"{addr:x}::whatis")
    lines = out.splitlines()
    assert lines[0] == f"{addr:x} is {c.buffer(103):x}+10, allocated from kmem_alloc_64:"
    assert lines[3].split()[:2] == [f"{c.bufctl(103):x}", f"{c.buffer(103):x}"]
    assert [x.strip() for x in lines[5:9]] == ["kmem_cache_alloc+0x118", "kmem_alloc+0x4b", "lose_it+0x10",
                                               "mydrv_ioctl+0x20"]
    q = _run(_dump([_leaky_cache()]), f"{c.buffer(103):x}::whatis -q")
    assert q == f"{c.buffer(103):x} is bufctl {c.bufctl(103):x} allocated from kmem_alloc_64\n"


def test_a_write_after_free_shows_in_memory_and_kmem_verify():
    cache = {"name": "kmem_alloc_32", "size": 32, "allocated": [{"count": 3, "root": "mydrv`kept"}],
             "freed": [{"count": 1, "stack": ["mydrv`req_free+0x1e"], "written": {"offset": 8, "value": "0x2"}}]}
    c = kmem(build_dump(_dump([cache]))).caches[0]
    buf = c.buffer(3)
    out = _run(_dump([cache]), f"{buf:x},3/K", "::kmem_verify", f"{c.addr:x}::kmem_verify",
               f"{buf:x}::whatis")
    assert "deadbeefdeadbeef 2" in " ".join(out.split())
    assert f"kmem_alloc_32                   {c.addr:x} 1 corrupt buffer\n" in out
    assert f"  buffer {buf:x} (free) seems corrupted, at {buf + 8:x}\n" in out
    assert f"{buf:x} is freed from kmem_alloc_32:" in out and "req_free+0x1e" in out


@pytest.mark.parametrize("path,change,rule", [
    ("$.kmem.caches[0].flags[0]", lambda k: k["caches"][0].update(flags=["KMF_NOPE"]), "is not one of"),
    ("$.kmem.caches[0].allocated[1].thread",
     lambda k: k["caches"][0]["allocated"][1].update(thread="0x1234"), "is not a thread of this dump"),
    ("$.kmem.caches[0].freed[0].root",
     lambda k: k["caches"][0].update(freed=[{"count": 1, "root": "x"}]), "freed buffers are in no chain"),
    ("$.kmem.caches[0].freed[0].written.offset",
     lambda k: k["caches"][0].update(freed=[{"count": 1, "written": {"offset": 4, "value": 1}}]),
     "8-byte aligned"),
    ("$.kmem.caches[0].freed[0].written.offset",
     lambda k: k["caches"][0].update(freed=[{"count": 1, "written": {"offset": 64, "value": 1}}]),
     "past the 64-byte buffer"),
    ("$.kmem.caches[1].name", lambda k: k["caches"].append({"name": "kmem_alloc_64", "size": 8}),
     "duplicate cache name"),
    ("$.kmem.vmem[0].source", lambda k: k.update(vmem=[{"name": "a", "source": "b"}]),
     "is not an arena listed before"),
    ("$.kmem.caches[0].allocated[0].count",
     lambda k: k["caches"][0]["allocated"][0].update(count=1 << 25), "is greater than"),
])
def test_the_loader_refuses_with_path_and_rule(path, change, rule):
    d = _dump([_leaky_cache()])
    change(d["kmem"])
    with pytest.raises(DumpError) as e:
        build_dump(copy.deepcopy(d))
    assert e.value.path == path and rule in e.value.rule


def test_memstat_percentages_are_mdbs_integer_arithmetic():
    d = _dump([_leaky_cache()], pages={"physmem": 1000, "kernel": 333, "anon": 1, "zfs": 5})
    out = _run(d, "::memstat")
    lines = out.splitlines()
    assert lines[2] == "Kernel                        333                 1   33%"
    assert lines[3].startswith("ZFS File Data") and lines[4].startswith("Anon ")
    assert lines[-1] == "Total                        1000                 3"


def test_every_cache_has_a_walker_of_its_name():
    out = _run(_dump([_leaky_cache()]), "::walkers kmem_alloc", "::walk kmem_alloc_64 ! wc -l")
    assert "kmem_alloc_64            - walk the kmem_alloc_64 cache" in out


def test_kgrep_finds_the_root_and_the_chain():
    d = _dump([_leaky_cache()])
    c = kmem(build_dump(copy.deepcopy(d))).caches[0]
    out = _run(d, f"{c.buffer(1):x}::kgrep", "mydrv`kept=K")
    hits = out.split()
    assert f"{c.buffer(0):x}" in hits              # buffer 0's link word
    assert f"{c.bufctl(1) + 8:x}" in hits           # bufctl 1's bc_addr


def test_kgrep_by_inversion_finds_what_a_scan_of_every_word_finds():
    """An exact ::kgrep answers kmem's slabs, bufctls and vmem segments by
    inverting their layout; -d 1 (the same values) reads every word."""
    d = _dump([_leaky_cache(), {"name": "kmem_alloc_32", "size": 32, "allocated": [
        {"count": 30, "root": "mydrv`kept"}], "freed": [{"count": 2, "written": {"offset": 8, "value": "0x77"}}]}])
    km = kmem(build_dump(copy.deepcopy(d)))
    c, c2 = km.caches
    arena = km.arena_by_name["kmem_default"]
    values = [c.buffer(1), c.buffer(100), c2.buffer(0), c.bufctl(3), c.addr, c2.base, 0x77,
              arena.segs[1][0], arena.seg0 + 0x200, 0xFEEDFACEFEEDFACE]
    out: list[str] = []
    s = Session(KernelTarget(build_dump(d)), write=out.append, write_err=out.append)

    def run(cmd: str) -> str:
        out.clear()
        s.run_string(cmd + "\n")
        s.out.nlflush()
        return "".join(out)
    for v in values:
        exact, scan = run(f"{v:x}::kgrep"), run(f"{v:x}::kgrep -d 1")
        assert exact == scan and exact, f"{v:x}"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 20000), st.sampled_from([8, 16, 64, 4096]),
                          st.sampled_from([None, [], ["KMF_AUDIT"], ["KMF_DEADBEEF", "KMF_REDZONE"]]),
                          st.lists(st.integers(0, 3000), min_size=1, max_size=3), st.integers(0, 50)),
                min_size=1, max_size=4),
       st.data())
def test_every_buffer_and_bufctl_maps_back_to_its_index(specs, data):
    caches = [{"name": f"c{k}", "size": size, "align": align, **({"flags": flags} if flags is not None else {}),
               "allocated": [{"count": n} for n in counts], "free": free}
              for k, (size, align, flags, counts, free) in enumerate(specs)]
    km = kmem(build_dump(_dump(caches)))
    ends = []
    for c in km.caches:
        assert c.chunk >= c.bufsize and c.chunk % 8 == 0 and c.per_slab >= 1
        assert c.total >= c.nalloc + c.nfreed and c.total % c.per_slab == 0
        ends.append((c.base, c.end()))
        for i in data.draw(st.lists(st.integers(0, max(c.total - 1, 0)), max_size=5)) if c.total else []:
            off = data.draw(st.integers(0, c.chunk - 1))
            assert c.index_of(c.buffer(i) + off) == (i, off)
            assert km.cache_of(c.buffer(i) + off) is c
            if c.bctl:
                assert c.bufctl_index(c.bufctl(i)) == i and km.bufctl_of(c.bufctl(i)) == (c, i)
    ends.sort()
    assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:]))


def test_kgrep_of_any_size_reads_regions_shorter_than_a_value():
    """A region of fewer bytes than the search size (a 1-byte string, the
    end of a chunk) is skipped, not an internal error."""
    mem = [{"addr": "0xfffffffff8000001", "hex": "aa"}, {"addr": "0xfffffffff8000010", "hex": "0102030405"}]
    out = _run(_dump([_leaky_cache()], memory=mem), "0x0201::kgrep -s 2 -v", "0xaa::kgrep -s 1",
               "0x04030201::kgrep -s 4")
    assert "internal error" not in out
    assert "fffffffff8000010: 201" in " ".join(out.split()) and "fffffffff8000001" in out


def test_the_sparse_words_kgrep_reads_are_the_images_bytes():
    """kgrep's shortcuts (Cache.chunk_words, Cache.bufctl_words) say what
    memory holds: compared with the encoded images, word for word."""
    d = _dump([_leaky_cache()])
    dump = build_dump(d)
    target = KernelTarget(dump)
    c = kmem(dump).caches[0]
    raw = target.read(c.bctl, c.total * 0xC0)
    want = {c.bctl + k: int.from_bytes(raw[k:k + 8], "little") for k in range(0, len(raw), 8)}
    assert dict(c.bufctl_words(dump.kmem_pcs)) == {a: v for a, v in want.items() if v}
    for i in (0, 99, 100, c.total - 1):
        data = target.read(c.buffer(i), c.chunk)
        words = {k: int.from_bytes(data[k:k + 8], "little") for k in range(0, c.chunk - 7, 8)}
        assert c.chunk_words(i) == {k: v for k, v in words.items() if v}
