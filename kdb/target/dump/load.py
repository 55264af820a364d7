"""Loading and validating dump files (docs/dump-format.md, version 1).

:func:`load_dump` parses a dump, checks every rule of the format and builds
the :class:`~kdb.target.model.Dump` with its indices. A dump that breaks a rule is
refused as a whole with a :class:`DumpError` naming the JSON path and the
rule (``$.procs[3].threads[0].state: 'slept' is not one of sleep, ...``);
nothing half-loaded is ever returned.

Performance: JSON is parsed with the garbage collector off and the result
frozen (``gc.freeze``), as docs/design.md explains; stacks are kept raw
and only their distinct code locations are resolved at load.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import stat
from typing import Any, Iterator, cast

import attrs
import msgspec
import msgspec.inspect

from kdb.limits import Limits, long_string_possible
from kdb.target.model import Dump, Proc, Thread

from kdb.target.dump.checks import DumpError, check_shape, int_text, lst, obj
from kdb.target.dump.schema import (TOP_KEYS)
from kdb.target.dump.build import Builder
from kdb.target.dump.cache import CachePolicy, dump_key
from kdb.target.dump.cache import read as cache_read
from kdb.target.dump.cache import write as cache_write
from kdb.target.dump.stacks import StackScan, StacksRefused

_PROCS_DECODER = msgspec.json.Decoder(list[Proc])
_SECTIONS_DECODER = msgspec.json.Decoder(dict[str, msgspec.Raw])


def _int_keys(cls: Any) -> frozenset[str]:
    """The keys of a struct that hold plain integers (not addresses)."""
    out = set()
    for f in msgspec.inspect.type_info(cls).fields:   # type: ignore[attr-defined]
        t = f.type
        kinds = {type(x) for x in t.types} if isinstance(t, msgspec.inspect.UnionType) else {type(t)}
        if msgspec.inspect.IntType in kinds and msgspec.inspect.StrType not in kinds:
            out.add(f.encode_name)
    return frozenset(out)


_INT_KEYS = _int_keys(Proc) | _int_keys(Thread)


def _normalise(v: Any, key: str | None = None) -> Any:
    """A copy for the typed conversion: without the ``x_`` notes, and with
    integers written as strings ("0x2a", "0t42") as integers (already
    checked by the field-by-field pass)."""
    if type(v) is dict:
        return {k: _normalise(x, k) for k, x in v.items() if not k.startswith("x_")}
    if type(v) is list:
        return [_normalise(x) for x in v]
    if type(v) is str and key in _INT_KEYS:
        n = int_text(v)
        return v if n is None else n
    return v


def read_dump_bytes(path: str, max_bytes: int) -> bytes:
    """The bytes of the dump file PATH: a regular file (a FIFO or a device is
    refused, never waited on or read forever), of at most MAX_BYTES; the read
    is sized by the file's real size, not by the limit."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise DumpError("$", f"cannot open dump: {e.strerror}", path) from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise DumpError("$", "not a regular file (a dump is a file)", path)
        if st.st_size > max_bytes:
            raise DumpError("$", f"the file is {st.st_size} bytes, more than the limit of {max_bytes} "
                                 f"({Limits.hint('max_bytes')})", path)
        try:
            # one byte more than its size: load_bytes refuses a file that grew past the limit
            return f.read(min(st.st_size, max_bytes) + 1)
        except OSError as e:
            raise DumpError("$", f"cannot read dump: {e.strerror}", path) from None


_TOO_DEEP_FOR_PARSER = "nesting deeper than the JSON parser can follow"


def parse_json(raw: bytes, path: str) -> Any:
    """Parse JSON with the standard library, for exact error positions."""
    try:
        return json.loads(raw, parse_constant=_not_json)
    except DumpError as e:
        e.file = path
        raise
    except UnicodeDecodeError as e:
        raise DumpError("$", f"not UTF-8 text at byte {e.start}", path) from None
    except json.JSONDecodeError as e:
        ended = e.pos >= len(raw.rstrip()) or e.msg.startswith("Unterminated string")
        what = "truncated JSON (the file ends early)" if ended else "invalid JSON"
        raise DumpError("$", f"{what}: {e.msg} (line {e.lineno}, column {e.colno})", path) from None
    except RecursionError:
        raise DumpError("$", _TOO_DEEP_FOR_PARSER, path) from None
    except ValueError as e:           # an integer of thousands of digits
        raise DumpError("$", f"a number too long to be a value: {e}", path) from None


def _not_json(name: str) -> Any:
    """NaN, Infinity and -Infinity: Python reads them, JSON has no such thing."""
    raise DumpError("$", f"{name} is not JSON (numbers are finite)")


def load_dump(path: str, *, limits: Limits | None = None, max_bytes: int | None = None,
              freeze: bool = True, cache: CachePolicy | None = None) -> Dump:
    """Load and validate a dump file; raise :class:`DumpError` if it breaks a rule.

    LIMITS (default: from the environment) bound the file size, nesting and
    string length; MAX_BYTES, if given, overrides the size limit. FREEZE
    (the default, for a session) keeps the model out of later collections;
    a process that loads dump after dump passes False and calls
    :func:`release_dump` after each.

    The fast path decodes processes and threads straight into typed structs
    (msgspec, in C); anything it refuses goes through the field-by-field
    checker, which names the JSON path and the rule.

    CACHE (None: no cache) says where a dump of some size is cached once
    loaded, and read back the next time the same unchanged file is opened
    (kdb.target.dump.cache).
    """
    limits = limits or Limits.from_env()
    if max_bytes is not None:
        limits = attrs.evolve(limits, max_bytes=max_bytes)
    key = dump_key(path) if cache is not None and cache.directory is not None else None
    if key is not None and cache is not None and cast(int, key[2]) >= cache.min_bytes \
            and cast(int, key[2]) <= limits.max_bytes:
        dump = _from_cache(cache, key, path, limits, freeze)
        if dump is not None:
            return dump
    raw = read_dump_bytes(path, limits.max_bytes)
    dump, loaded = _load_bytes(raw, path, limits, freeze=freeze)
    if key is not None and cache is not None and loaded is not None and len(raw) >= cache.min_bytes:
        cache_write(cache, key, dump, *loaded)
    return dump


def _from_cache(policy: CachePolicy, key: list[str | int], path: str, limits: Limits,
                freeze: bool) -> Dump | None:
    """The dump from its cache file, or None: whatever is wrong with a cache
    file (damaged, stale, from another version) makes it a miss."""
    body = cache_read(policy, key)
    if body is None:
        return None
    try:
        with _building(path, freeze):
            data: dict[str, Any] = {k: msgspec.json.decode(v) for k, v in body.sections.items()}
            procs: list[Proc] = list(body.procs)
            data["procs"] = procs
            return Builder(path).build(data, procs, restored=body.locations)
    except Exception:       # the cache's trust boundary: a miss, never an error
        return None


def load_bytes(raw: bytes, path: str = "<dump>", limits: Limits | None = None, *,
               freeze: bool = True) -> Dump:
    """Load and validate a dump from its bytes RAW (named PATH in messages)."""
    return _load_bytes(raw, path, limits, freeze=freeze)[0]


def _load_bytes(raw: bytes, path: str = "<dump>", limits: Limits | None = None, *,
                freeze: bool = True) -> tuple[Dump, tuple[dict[str, bytes], set[str]] | None]:
    """The dump and, from the fast path, what its cache keeps: the sections
    but procs (their JSON text, notes dropped) and the code locations."""
    limits = limits or Limits()
    if len(raw) > limits.max_bytes:
        raise DumpError("$", f"more than the limit of {limits.max_bytes} bytes ({Limits.hint('max_bytes')})",
                        path)
    # the stacks' scan starts now, in a child process where it can
    # (kdb.target.dump.stacks.StackScan), and is stopped however this ends
    scan = StackScan(raw)
    try:
        return _load_scanned(raw, path, limits, freeze, scan)
    finally:
        scan.close()


def _load_scanned(raw: bytes, path: str, limits: Limits, freeze: bool,
                  scan: StackScan) -> tuple[Dump, tuple[dict[str, bytes], set[str]] | None]:
    with _building(path, freeze):
        try:
            sections = _SECTIONS_DECODER.decode(raw)
            if "procs" not in sections or any(k not in TOP_KEYS and not k.startswith("x_")
                                               for k in sections):
                raise _SlowPath()
            # the typed structs' depth is fixed by their types; their strings
            # are looked at only if a cheap scan of the bytes says one may be long
            if long_string_possible(raw, limits.max_string):
                raise _SlowPath()
            # a key of the loader's own (``@kdb:addr``) is no key of the
            # format: the checker refuses it by name
            if b'"@kdb:' in raw:
                raise _SlowPath()
            procs = _PROCS_DECODER.decode(sections["procs"])
            data = {k: msgspec.json.decode(v) for k, v in sections.items() if k != "procs"}
        except (msgspec.DecodeError, msgspec.ValidationError, _SlowPath, RecursionError, UnicodeDecodeError):
            return build_dump(parse_json(raw, path), path, limits, freeze=freeze), None
        for k, v in data.items():       # the notes too, as the slow path would
            check_shape(v, limits, f"$.{k}")
        data = {k: v for k, v in data.items() if not k.startswith("x_")}
        data["procs"] = procs
        builder = Builder(path)
        try:
            dump = builder.build(data, procs, scan=scan)
        except StacksRefused:
            pass
        else:
            kept = {k: bytes(v) for k, v in sections.items() if k != "procs" and not k.startswith("x_")}
            return dump, (kept, builder.loc_wanted)
    return build_dump(parse_json(raw, path), path, limits, freeze=freeze), None


class _SlowPath(Exception):
    pass


def build_dump(data: Any, path: str = "<dump>", limits: Limits | None = None, *,
               freeze: bool = True) -> Dump:
    """Validate parsed JSON field by field (within LIMITS) and build the model."""
    with _building(path, freeze):
        check_shape(data, limits or Limits())
        top = obj(data, "$", TOP_KEYS, ("kdb_dump", "system", "procs"))
        plist = lst(top["procs"], "$.procs")
        checker = Builder(path)
        zones = checker.zones(top.get("zones"))
        checker.check_procs(plist, {z.id: z for z in zones}, {z.name: z for z in zones})
        norm = _normalise(plist)
        # a typed thread keeps its stack as JSON text (checked above, so ASCII)
        stacks = [t.pop("stack", None) for p in norm for t in p.get("threads", [])]
        try:
            procs = msgspec.convert(norm, list[Proc])
        except msgspec.ValidationError as e:
            raise DumpError("$.procs", str(e)) from None
        for t, stack in zip((t for p in procs for t in p.threads), stacks):
            if stack is not None:
                t.stack_json = msgspec.Raw(msgspec.json.encode(stack))
        try:
            return Builder(path).build(top, procs)
        except StacksRefused as e:
            raise DumpError("$.procs", str(e)) from None


def release_dump(dump: Dump | None = None, *, collect: bool = True) -> None:
    """Free DUMP, which is no longer used.

    Its processes and threads are untracked by the collector (they are
    many) and in cycles, so the dump is taken apart here: a process that
    loads many dumps one after another (triage, fuzzing) calls this after
    each, or its memory grows with every dump (0.66 MB for each jurassic).
    Such a process loads with ``freeze=False`` and passes COLLECT=False:
    the collector then reclaims the rest as it goes. A frozen dump needs
    COLLECT (unfreeze and a full collection, 13 ms even for a small dump)."""
    if dump is not None:
        dump.break_cycles()
    if collect:
        gc.unfreeze()
        gc.collect()


@contextlib.contextmanager
def _building(path: str, freeze: bool = True) -> Iterator[None]:
    """Build a model with the collector off (millions of acyclic objects),
    errors named after PATH, and the finished model frozen out of later
    collections. A build that fails leaves nothing frozen."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
    except DumpError as e:
        e.file = path
        raise
    except RecursionError:
        raise DumpError("$", _TOO_DEEP_FOR_PARSER, path) from None
    finally:
        if enabled:
            gc.enable()
