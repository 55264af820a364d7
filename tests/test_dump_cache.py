"""The dump cache: a reopened dump answers exactly as a parsed one, and a
stale, damaged, altered or foreign cache file is ignored (then rewritten),
never loaded wrong and never an error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import msgspec
import pytest

from kdb.engine.session import Session
from kdb.target.dump import DumpError, load_dump
from kdb.target.dump import cache as dcache
from kdb.target.dump import load as dload
from kdb.target.kernel import KernelTarget
from kdb.tools.gen import generate

ROOT = Path(__file__).parent.parent
COMMANDS = ["::status", "::stacks", "::stacks -c mutex_vector_enter", "::walk thread | ::findstack -v",
            "::ps -f", "::walk thread | ::thread -d", "::wchaninfo -v", "::nm -f ctype,name ! head -40",
            "::walk thread | ::print kthread_t t_ts t_sobj_ops t_wchan"]


def answers(dump) -> str:
    out: list[str] = []
    s = Session(KernelTarget(dump), write=out.append, write_err=out.append)
    for c in COMMANDS:
        out.append(f"> {c}\n")
        s.run_string(c + "\n")
    return "".join(out)


@pytest.fixture
def scenario(tmp_path):
    """A copy of the deadlock scenario (blocked threads, derived arguments)
    and a cache directory that caches everything, in the foreground."""
    dump = tmp_path / "deadlock.json"
    shutil.copy(ROOT / "dumps" / "deadlock.json", dump)
    policy = dcache.CachePolicy(tmp_path / "cache", min_bytes=0, background=False)
    return dump, policy


def cache_files(policy) -> list[Path]:
    return sorted(policy.directory.glob("*.kdbc")) if policy.directory.exists() else []


def test_reopen_reads_the_cache_and_answers_the_same(scenario, monkeypatch):
    dump, policy = scenario
    parsed = load_dump(str(dump), cache=policy)
    assert len(cache_files(policy)) == 1
    expected = answers(load_dump(str(dump)))          # no cache at all
    assert answers(parsed) == expected

    def no_parse(*a, **k):
        raise AssertionError("the dump was parsed again")
    monkeypatch.setattr(dload, "read_dump_bytes", no_parse)
    reopened = load_dump(str(dump), cache=policy)
    assert answers(reopened) == expected


def test_a_realistic_generated_dump_reopens_the_same(tmp_path):
    dump = tmp_path / "gen.json"
    dump.write_text(json.dumps(generate(procs=30, threads=600, seed=7, realistic=True),
                               separators=(",", ":")))
    policy = dcache.CachePolicy(tmp_path / "cache", min_bytes=0, background=False)
    first = answers(load_dump(str(dump), cache=policy))
    assert cache_files(policy)
    assert answers(load_dump(str(dump), cache=policy)) == first == answers(load_dump(str(dump)))


def test_a_changed_dump_is_parsed_again_and_recached(scenario):
    dump, policy = scenario
    load_dump(str(dump), cache=policy)
    data = json.loads(dump.read_text())
    data["system"]["nodename"] = "changed"
    dump.write_text(json.dumps(data))
    assert load_dump(str(dump), cache=policy).system.nodename == "changed"
    assert load_dump(str(dump), cache=policy).system.nodename == "changed"


def _damage_truncate(b: bytes) -> bytes:
    return b[: len(b) // 2]


def _damage_flip_body(b: bytes) -> bytes:
    i = len(b) - 100
    return b[:i] + bytes([b[i] ^ 0x55]) + b[i + 1:]


def _damage_flip_header(b: bytes) -> bytes:
    return b[:20] + bytes([b[20] ^ 1]) + b[21:]


def _damage_format(b: bytes) -> bytes:
    return b[:8] + (999).to_bytes(4, "little") + b[12:]


def _damage_rechecksummed(b: bytes) -> bytes:
    """A body altered to break the model's types, with a valid checksum: the
    decoder refuses it."""
    body = msgspec.msgpack.decode(b[dcache._HEADER.size:])
    threads = dcache.CachedProc.__struct_fields__.index("threads")
    body[3][0][threads][0][dcache.CachedThread.__struct_fields__.index("state")] = "bogus"
    new = msgspec.msgpack.encode(body)
    return dcache._HEADER.pack(dcache.MAGIC, dcache.FORMAT, zlib.crc32(new), len(new)) + new


def _damage_other_key(b: bytes) -> bytes:
    body = msgspec.msgpack.decode(b[dcache._HEADER.size:])
    body[0][2] += 1                      # the size of another file
    new = msgspec.msgpack.encode(body)
    return dcache._HEADER.pack(dcache.MAGIC, dcache.FORMAT, zlib.crc32(new), len(new)) + new


@pytest.mark.parametrize("damage", [lambda b: b"", lambda b: b"garbage" * 10, _damage_truncate,
                                    _damage_flip_body, _damage_flip_header, _damage_format,
                                    _damage_rechecksummed, _damage_other_key],
                         ids=["empty", "garbage", "truncated", "body-bit", "header-bit", "format",
                              "rechecksummed", "other-key"])
def test_a_damaged_cache_is_ignored_and_rewritten(scenario, damage):
    dump, policy = scenario
    expected = answers(load_dump(str(dump), cache=policy))
    (f,) = cache_files(policy)
    good = f.read_bytes()
    f.write_bytes(damage(good))
    assert answers(load_dump(str(dump), cache=policy)) == expected
    assert dcache.read(policy, dcache.dump_key(str(dump))) is not None   # rewritten


def test_a_cache_file_others_can_write_is_not_read(scenario):
    dump, policy = scenario
    load_dump(str(dump), cache=policy)
    (f,) = cache_files(policy)
    key = dcache.dump_key(str(dump))
    assert dcache.read(policy, key) is not None
    f.chmod(0o666)
    assert dcache.read(policy, key) is None
    f.chmod(0o600)
    policy.directory.chmod(0o777)
    try:
        assert dcache.read(policy, key) is None
    finally:
        policy.directory.chmod(0o700)


def test_small_dumps_and_a_disabled_cache_write_nothing(scenario, monkeypatch):
    dump, policy = scenario
    load_dump(str(dump), cache=dcache.CachePolicy(policy.directory, min_bytes=1 << 30, background=False))
    load_dump(str(dump), cache=dcache.CachePolicy(None))
    assert cache_files(policy) == []
    monkeypatch.setenv("KDB_CACHE", "off")
    assert dcache.CachePolicy.from_env().directory is None
    monkeypatch.setenv("KDB_CACHE", "on")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    monkeypatch.delenv("KDB_CACHE_DIR", raising=False)
    assert dcache.CachePolicy.from_env().directory == Path("/somewhere/kdb")
    assert dcache.CachePolicy.from_env(enabled=False).directory is None


def test_the_cache_stays_under_its_size_cap(tmp_path):
    policy = dcache.CachePolicy(tmp_path / "cache", min_bytes=0, background=False)
    for name in ("deadlock", "panic", "rwstarve"):
        shutil.copy(ROOT / "dumps" / f"{name}.json", tmp_path / f"{name}.json")
        load_dump(str(tmp_path / f"{name}.json"), cache=policy)
        time.sleep(0.01)
    sizes = {f: f.stat().st_size for f in cache_files(policy)}
    assert len(sizes) == 3
    newest = max(sizes, key=lambda f: f.stat().st_mtime_ns)
    cap = sizes[newest] + min(sizes.values()) + 1
    capped = dcache.CachePolicy(policy.directory, min_bytes=0, max_bytes=cap, background=False)
    load_dump(str(tmp_path / "rwstarve.json"), cache=capped)     # a hit: nothing written
    shutil.copy(ROOT / "dumps" / "nfshang.json", tmp_path / "nfshang.json")
    load_dump(str(tmp_path / "nfshang.json"), cache=capped)
    assert sum(f.stat().st_size for f in cache_files(policy)) <= cap
    tiny = dcache.CachePolicy(tmp_path / "tiny", min_bytes=0, max_bytes=100, background=False)
    load_dump(str(tmp_path / "panic.json"), cache=tiny)
    assert cache_files(tiny) == []


def test_a_dump_with_the_loaders_own_keys_is_refused_by_name(tmp_path):
    data = json.loads((ROOT / "dumps" / "deadlock.json").read_text())
    data["procs"][1]["threads"][0]["@kdb:ts"] = 5
    f = tmp_path / "d.json"
    f.write_text(json.dumps(data))
    with pytest.raises(DumpError) as e:
        load_dump(str(f))
    assert e.value.path == "$.procs[1].threads[0].@kdb:ts"


def test_the_cli_writes_the_cache_in_the_background_and_no_cache_turns_it_off(tmp_path):
    dump = tmp_path / "deadlock.json"
    shutil.copy(ROOT / "dumps" / "deadlock.json", dump)
    env = {**os.environ, "KDB_CACHE": "on", "KDB_CACHE_DIR": str(tmp_path / "c"), "KDB_CACHE_MIN_BYTES": "0"}
    cmd = [sys.executable, "-m", "kdb", "-e", "::stacks", str(dump)]
    off = subprocess.run(cmd[:3] + ["--no-cache"] + cmd[3:], env=env, capture_output=True, text=True, timeout=120)
    assert not (tmp_path / "c").exists()
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    deadline = time.monotonic() + 30
    while not list((tmp_path / "c").glob("*.kdbc")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list((tmp_path / "c").glob("*.kdbc"))
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert off.stdout == first.stdout == again.stdout and off.stdout.count("\n") > 3
    assert off.returncode == first.returncode == again.returncode == 0


def test_a_fifo_or_a_device_is_never_waited_on_for_a_key(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert dcache.dump_key(str(fifo)) is None
    assert dcache.dump_key("/dev/null") is None
    policy = dcache.CachePolicy(tmp_path / "cache", min_bytes=0, background=False)
    with pytest.raises(DumpError):
        load_dump(str(fifo), cache=policy)


def test_an_oversized_or_linked_cache_file_is_not_read(scenario):
    dump, policy = scenario
    load_dump(str(dump), cache=policy)
    (f,) = cache_files(policy)
    key = dcache.dump_key(str(dump))
    small = dcache.CachePolicy(policy.directory, min_bytes=0, max_bytes=100, background=False)
    assert dcache.read(small, key) is None
    target = f.with_suffix(".real")
    f.rename(target)
    f.symlink_to(target)
    assert dcache.read(policy, key) is None
