"""A cache of loaded dumps, so that reopening a big dump costs a fraction of
parsing it (docs/design.md, "The dump cache").

The first open of a dump checks every rule of the format (kdb.target.dump.load);
then a child process writes what the checks established into
``$XDG_CACHE_HOME/kdb/`` (``~/.cache/kdb``, or ``$KDB_CACHE_DIR``): the
typed processes and threads with the values the loader derived, each stack
re-encoded as MessagePack, the other sections' JSON text, and the code
locations the stacks use. Reopening the same unchanged file reads that back
instead of the JSON: the other sections go through the loader's checks
again (they are small), the processes and threads do not.

A cache file is untrusted input like a dump, and is never trusted blindly:

* it is used only for the file it was made from: the same real path, size,
  modification and change times, inode and device, and the same bytes at
  sampled places (the first and last 64 KiB and 32 blocks between); a
  changed dump is parsed again and its cache rewritten;
* its body is checked against the length and CRC-32 it was written with (a
  truncated or damaged file is ignored and rebuilt), and decoded against the
  model's types: any failure is a cache miss, never an error or a wrong dump;
* it must be a regular file of this user's, in a directory only this user
  can write (mode 0700); the format version and kdb's version are in its key;
* it is written to a temporary file and renamed into place (a reader never
  sees half a file), and the directory is kept under a size cap
  (``$KDB_CACHE_MAX_BYTES``, default 2 GiB) by removing the oldest files.

The checksum guards against corruption, not against an attacker who can
write the user's own cache directory (who could as well change the dump).
Dumps under 4 MiB (``$KDB_CACHE_MIN_BYTES``) load fast enough and are not
cached; ``kdb --no-cache`` or ``KDB_CACHE=off`` turns the cache off.
"""

from __future__ import annotations

import functools
import hashlib
import mmap
import os
import stat
import struct
import sys
import zlib
from pathlib import Path
from typing import Any, Callable, Union

import attrs
import msgspec

from kdb.target.model import Dump, Proc, RawFrame, Thread

from kdb.target.dump.stacks import PcFpFrame, PcFrame
from kdb.target.dump.stacks import decode as decode_json_stack

#: bump when the cache's layout or anything it stores changes meaning
FORMAT = 1
MAGIC = b"KDBCACHE"
_HEADER = struct.Struct("<8sIIQ")           # magic, format, CRC-32 and length of the body
_SAMPLE = 64 << 10
_BLOCKS = 32
_BLOCK = 4 << 10
_MAX_FD = 4096

_STACK_ENCODER = msgspec.msgpack.Encoder()
_STACK_DECODER = msgspec.msgpack.Decoder(Union[list[Union[str, RawFrame]], None])
_BIN_DECODER = msgspec.msgpack.Decoder(bytes)
_PCS_DECODER = msgspec.msgpack.Decoder(Union[list[Union[str, PcFrame]], None])
_LIGHT_DECODER = msgspec.msgpack.Decoder(Union[list[Union[str, PcFpFrame]], None])


class CachedThread(Thread, array_like=True):
    """A thread as the cache stores it: its fields by position (decoding
    100,000 threads' keys by name took a third longer)."""


class CachedProc(Proc, array_like=True):
    """A process as the cache stores it (see :class:`CachedThread`)."""

    threads: list[CachedThread] = []        # type: ignore[assignment]


class CacheBody(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    """What a cache file holds after its header."""

    key: list[Union[str, int]]
    sections: dict[str, bytes]
    locations: list[str]
    procs: list[CachedProc]


_BODY_DECODER = msgspec.msgpack.Decoder(CacheBody)


def decode_light(raw: Any) -> Any:
    """One stack as the cache stores it, without its frames' arguments."""
    return _LIGHT_DECODER.decode(_BIN_DECODER.decode(raw)) or []


def stack_pcs(raw: Any) -> tuple[Any, ...]:
    """The pcs of one stack as the cache stores it, the rest not decoded."""
    return tuple(f if f.__class__ is str else f.pc for f in _PCS_DECODER.decode(_BIN_DECODER.decode(raw)) or ())  # type: ignore[union-attr]


def decode_stack(raw: Any) -> Any:
    """One stack as the cache stores it (its frames' MessagePack in a bin)."""
    return _STACK_DECODER.decode(_BIN_DECODER.decode(raw))


@attrs.define(slots=True, frozen=True)
class CachePolicy:
    """Where and what to cache: from the environment, ``--no-cache`` aside."""

    directory: Path | None
    min_bytes: int = 4 << 20
    max_bytes: int = 2 << 30
    background: bool = True

    @classmethod
    def from_env(cls, enabled: bool = True) -> "CachePolicy":
        env = os.environ
        if not enabled or env.get("KDB_CACHE", "").lower() in ("off", "0", "no"):
            return cls(None)
        base = env.get("KDB_CACHE_DIR")
        if not base:
            xdg = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
            base = os.path.join(xdg, "kdb")
        return cls(Path(base), _env_int("KDB_CACHE_MIN_BYTES", 4 << 20),
                   _env_int("KDB_CACHE_MAX_BYTES", 2 << 30))


def _env_int(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default)))
    except ValueError:
        return default


def dump_key(path: str) -> list[Union[str, int]] | None:
    """What identifies the file at PATH and its content (see the module);
    None if it cannot be read."""
    try:
        real = os.path.realpath(path)
        # non-blocking: a FIFO is refused by the loader, never waited on here
        with os.fdopen(os.open(real, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                return None
            h = hashlib.sha256()
            size = st.st_size
            h.update(f.read(_SAMPLE))
            step = max(size // (_BLOCKS + 1), 1)
            for i in range(1, _BLOCKS + 1):
                f.seek(min(i * step, max(size - _BLOCK, 0)))
                h.update(f.read(_BLOCK))
            f.seek(max(size - _SAMPLE, 0))
            h.update(f.read(_SAMPLE))
    except OSError:
        return None
    return [f"kdb-cache/{FORMAT}/{_kdb_version()}", real, size, st.st_mtime_ns, st.st_ctime_ns,
            st.st_ino, st.st_dev, h.hexdigest()]


@functools.cache
def _kdb_version() -> str:
    """kdb's version and a digest of the loader's and the model's source: a
    cache written by other code is never read (the loader's rules and what
    it derives may have changed)."""
    from kdb.version import __version__
    from kdb.target import model, symbols
    h = hashlib.sha256()
    for f in sorted([Path(model.__file__), Path(symbols.__file__), *Path(__file__).parent.glob("*.py")]):
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(f.name.encode())
    return f"{__version__}+{h.hexdigest()[:16]}"


def cache_file(policy: CachePolicy, key: list[Union[str, int]]) -> Path | None:
    """The cache file of a dump (by its real path), or None without a cache."""
    if policy.directory is None:
        return None
    name = hashlib.sha256(str(key[1]).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return policy.directory / f"{name}.kdbc"


def read(policy: CachePolicy, key: list[Union[str, int]]) -> CacheBody | None:
    """The cached body for KEY, or None (no cache, stale, damaged, not ours)."""
    file = cache_file(policy, key)
    if file is None:
        return None
    try:
        if not _private_dir(file.parent):
            return None
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022 \
                    or st.st_size > policy.max_bytes:
                return None
            if st.st_size < _HEADER.size:
                return None
            # mapped, not read: the stacks stay in the page cache until asked for
            data = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    magic, fmt, crc, length = _HEADER.unpack_from(data)
    body = memoryview(data)[_HEADER.size:]
    if magic != MAGIC or fmt != FORMAT or length != len(body) or zlib.crc32(body) != crc:
        return None
    try:
        cached = _BODY_DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, MemoryError):
        return None
    return cached if cached.key == key else None


def _private_dir(d: Path) -> bool:
    st = os.stat(d)
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


def write(policy: CachePolicy, key: list[Union[str, int]], dump: Dump,
          sections: dict[str, bytes], locations: set[str]) -> None:
    """Cache DUMP under KEY: in a detached grandchild process where the
    system allows (the dump's owner goes on at once), else here. Any failure
    leaves no cache file, and is silent: a cache is an optimisation."""
    file = cache_file(policy, key)
    if file is None:
        return
    if policy.background and sys.platform.startswith("linux") and hasattr(os, "fork"):
        _detached(lambda: _write(policy, file, key, dump, sections, locations))
    else:
        try:
            _write(policy, file, key, dump, sections, locations)
        except Exception:       # a cache is an optimisation: never an error
            pass


def _detached(job: Callable[[], None]) -> None:
    """Run JOB in a grandchild, reaping the child at once (no zombie, no wait)."""
    import threading
    if threading.active_count() != 1:
        return
    try:
        pid = os.fork()
    except OSError:
        return
    if pid == 0:
        status = 1
        try:
            if os.fork() == 0:
                try:
                    # let go of the terminal and of every pipe: a reader of
                    # kdb's output sees its end when kdb exits, not when the
                    # cache is written
                    os.setsid()
                    devnull = os.open(os.devnull, os.O_RDWR)
                    for fd in (0, 1, 2):
                        os.dup2(devnull, fd)
                    os.closerange(3, _MAX_FD)
                    job()
                    status = 0
                finally:
                    os._exit(status)
            status = 0
        finally:
            os._exit(status)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _write(policy: CachePolicy, file: Path, key: list[Union[str, int]], dump: Dump,
           sections: dict[str, bytes], locations: set[str]) -> None:
    """Encode and write the cache file (in the process that owns DUMP, or a
    copy of it: the model is taken apart for encoding and put back)."""
    directory = file.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _private_dir(directory):
        return
    body = _encode(key, dump, sections, locations)
    if len(body) + _HEADER.size > policy.max_bytes:
        return
    header = _HEADER.pack(MAGIC, FORMAT, zlib.crc32(body), len(body))
    tmp = directory / f".{file.name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            f.write(body)
        os.replace(tmp, file)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _trim(directory, policy.max_bytes, keep=file)


def _encode(key: list[Union[str, int]], dump: Dump, sections: dict[str, bytes],
            locations: set[str]) -> bytes:
    """The body. The model's links (a thread's process, a process's zone and
    decoders, decoded frames) are not stored: the loader makes them again."""
    procs = []
    for p in dump.procs:
        threads = []
        for t in p.threads:
            tf = {n: getattr(t, n) for n in Thread.__struct_fields__}
            # a stack as the dump gave it (decoding derives the rest again),
            # its frames' MessagePack in a bin the body's decoder steps over
            stack = decode_json_stack(t.stack_json) if t.has_stack else None
            tf.update(proc=None, frames_cache=None, stack_items=None,
                      stack_json=msgspec.Raw(_STACK_ENCODER.encode(_STACK_ENCODER.encode(stack))))
            threads.append(CachedThread(**tf))
        pf = {n: getattr(p, n) for n in Proc.__struct_fields__}
        pf.update(threads=threads, zone=None, resolver=None, unpack_stack=None)
        procs.append(CachedProc(**pf))
    return msgspec.msgpack.encode(CacheBody(key, sections, sorted(locations), procs))


def _trim(directory: Path, cap: int, keep: Path) -> None:
    """Remove the oldest cache files until the directory is under CAP bytes."""
    files = []
    for p in directory.glob("*.kdbc"):
        try:
            st = p.stat()
        except OSError:
            continue
        files.append((st.st_mtime_ns, st.st_size, p))
    total = sum(f[1] for f in files)
    for _, size, p in sorted(files):
        if total <= cap:
            break
        if p != keep:
            p.unlink(missing_ok=True)
            total -= size
