"""Checking every stack of a dump at once, without building its frames.

Stacks are most of a dump (three million frame addresses in a realistic
100,000-thread dump), so the loader keeps each thread's stack as the raw
JSON text it was written in (``Thread.stack_json``) and decodes it only
when a command looks at it (``Thread.raw_stack``). At load the stacks are
checked here, in one of two ways:

* :func:`vouch`: compact JSON as writers emit it (no blanks, no escapes,
  the keys of a frame in the order ``pc``, ``fp``, ``args``, addresses as
  ``"0x..."`` strings) is matched by one regular expression over all the
  stacks joined, which is the format's grammar of a stack, addresses and
  code locations included; the distinct code locations come from one more
  scan. About half a second for 57 MB of stacks.
* :func:`decode_all`: anything else (integers, ``null``, blanks, another key
  order) is decoded into typed frames and checked a column at a time by the
  caller; a stack the types refuse sends the whole dump to the
  field-by-field checker, which names the JSON path and the rule.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import sys
import threading
from typing import Sequence, Union

import msgspec

from kdb.target.model import NO_STACK, RawFrame, Thread

#: an address string: 1 to 16 hex digits
_ADDR = rb'"0[xX][0-9a-fA-F]{1,16}"'
#: a code location string, exactly kdb.target.symbols.LOCATION (ASCII)
_LOC = (rb'"(?:[A-Za-z_][\w.-]*+`)?+[A-Za-z_.$][\w.$]*+'
        rb'(?:[+-](?:0[xX][0-9a-fA-F]++|[0-9a-fA-F]++))?+"')
_PC = rb"(?:" + _LOC + rb"|" + _ADDR + rb")"
_OBJ = (rb'\{"pc":' + _PC + rb'(?:,"fp":' + _ADDR + rb')?+'
        rb'(?:,"args":\[(?:' + _ADDR + rb'(?:,' + _ADDR + rb')*+)?+\])?+\}')
_FRAME = rb"(?:" + _PC + rb"|" + _OBJ + rb")"
#: stacks (or null), each followed by a newline
_STACKS = rb"(?:(?:null|\[(?:" + _FRAME + rb"(?:," + _FRAME + rb")*+)?+\])\n)*+"
#: a code location that names a symbol: a string that starts like a symbol
#: and is no key (addresses start with a digit)
_SYMBOLIC = rb'"([A-Za-z_.$][^"]*)"(?!:)'


@functools.cache
def _patterns() -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """The two patterns, compiled when first needed (not at every start-up)."""
    return re.compile(_STACKS), re.compile(_SYMBOLIC)


class PcFrame(msgspec.Struct, gc=False):
    """A frame object's pc alone (its other keys are skipped, not decoded)."""

    pc: Union[int, str]


class PcFpFrame(msgspec.Struct, gc=False):
    """A frame object's pc and frame pointer (its arguments skipped): what
    a stack printed without arguments needs (``::findstack``)."""

    pc: Union[int, str]
    fp: Union[int, str, None] = None


_STACK_DECODER = msgspec.json.Decoder(Union[list[Union[str, RawFrame]], None])
_PCS_DECODER = msgspec.json.Decoder(Union[list[Union[str, PcFrame]], None])
_LIGHT_DECODER = msgspec.json.Decoder(Union[list[Union[str, PcFpFrame]], None])


def decode_light(raw: bytes | msgspec.Raw) -> list[Union[str, PcFpFrame]]:
    """One checked stack's frames without their arguments."""
    return _LIGHT_DECODER.decode(raw) or []


def join(stacks: Sequence[bytes | msgspec.Raw]) -> bytes:
    """The stacks' text, each followed by a newline, as the scans read it."""
    return b"\n".join([*stacks, b""])


def follows_format(joined: bytes) -> bool:
    """Whether every stack of JOINED is in the form the grammar vouches for."""
    return joined.isascii() and _patterns()[0].fullmatch(joined) is not None


def symbolic_locations(joined: bytes) -> set[str]:
    """The distinct symbolic code locations of stacks that follow the format."""
    return {m.decode("ascii") for m in set(_patterns()[1].findall(joined))}


def vouch(stacks: Sequence[bytes | msgspec.Raw]) -> set[str] | None:
    """The distinct symbolic code locations of STACKS (raw JSON arrays), if
    one scan proves every stack follows the format; None if it cannot (which
    is not an error: :func:`decode_all` then decides)."""
    joined = join(stacks)
    return symbolic_locations(joined) if follows_format(joined) else None


def stack_pcs(raw: bytes | msgspec.Raw) -> tuple[Union[int, str], ...]:
    """The pcs of one checked stack, as written, without decoding the rest."""
    return tuple(f if f.__class__ is str else f.pc for f in _PCS_DECODER.decode(raw) or ())  # type: ignore[union-attr]


class StacksRefused(Exception):
    """A stack the frame types refuse: the loader's field-by-field checker
    then names the path and the rule."""


def decode_all(threads: Sequence[Thread]) -> list[list[Union[str, RawFrame]] | None]:
    """Every thread's stack decoded into typed frames; :class:`StacksRefused`
    for a stack the types refuse."""
    return [decode(t.stack_json) for t in threads]


def decode(raw: bytes | msgspec.Raw) -> list[Union[str, RawFrame]] | None:
    """One stack (:class:`StacksRefused` if the frame types refuse it)."""
    try:
        return _STACK_DECODER.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as e:
        raise StacksRefused(str(e)) from None


#: stacks of fewer bytes than this are scanned in the loading process
FORK_MIN_BYTES = 8 << 20
#: the share of the stacks whose locations the child gathers: with it the
#: child (grammar and these) and the loader (the other sections' checks and
#: the rest) take about as long on a realistic dump
CHILD_SHARE = 0.5


class _StackOnly(msgspec.Struct, gc=False):
    stack: msgspec.Raw = NO_STACK


class _ProcStacks(msgspec.Struct, gc=False):
    threads: list[_StackOnly] = []


_SECTIONS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_STACKS_ONLY = msgspec.json.Decoder(list[_ProcStacks])


def _stacks_of(raw: bytes) -> list[msgspec.Raw]:
    """Every thread's stack text in a dump's bytes, in the loader's order
    (the same ``procs`` section, the other keys skipped)."""
    return [t.stack for p in _STACKS_ONLY.decode(_SECTIONS.decode(raw)["procs"]) for t in p.threads]


class StackScan:
    """:func:`vouch` over every stack of a dump. Where the system allows
    (Linux, a process of one thread, a dump of 8 MB or more) it starts as
    soon as the file is read: a forked child finds the stacks in the bytes,
    matches the grammar and gathers the code locations of the first
    :data:`CHILD_SHARE` of them while the loader decodes and checks
    everything else, then gathers the rest's (:meth:`result`): two cores
    share the load, the scans being most of a big dump's checks. The child
    answers over a pipe: ``+``, the number of stacks it found, where it
    stopped gathering, and the locations, a line each (they are ASCII and
    hold no newline); or ``-``. Anything that goes wrong with the child, or
    an answer about other stacks than the loader's, makes the loader scan
    everything itself."""

    def __init__(self, raw: bytes | None = None) -> None:
        self._pid = 0
        self._fd = -1
        if raw is not None and len(raw) >= FORK_MIN_BYTES and _can_fork():
            self._fork(raw)

    def _fork(self, raw: bytes) -> None:
        try:
            r, w = os.pipe()
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:
            os.close(r)
            os.close(w)
            return
        if pid == 0:                       # the child: scan, answer, vanish
            status = 1
            try:
                os.close(r)
                stacks = _stacks_of(raw)
                out = b"-"
                if follows_format(join(stacks)):
                    split = int(len(stacks) * CHILD_SHARE)
                    found = symbolic_locations(join(stacks[:split]))
                    out = b"+%d\n%d\n" % (len(stacks), split) + "\n".join(found).encode("ascii")
                view = memoryview(out)
                while view:
                    view = view[os.write(w, view):]
                status = 0
            finally:
                os._exit(status)
        os.close(w)
        self._pid, self._fd = pid, r

    def result(self, stacks: list[msgspec.Raw]) -> set[str] | None:
        """The distinct symbolic code locations of STACKS (every thread's,
        in order), or None if they are not all in the form the scan vouches
        for."""
        if not self._pid:
            return vouch(stacks)
        split = int(len(stacks) * CHILD_SHARE)
        part = join(stacks[split:])
        if not part.isascii():          # then not all of them follow the format
            self.close()
            return None
        rest = symbolic_locations(part)         # while the child works
        answer = self._collect()
        if answer is None:
            return vouch(stacks)
        if answer[:1] == b"-":
            return None
        count, theirs, body = answer[1:].split(b"\n", 2)
        if int(count) != len(stacks) or int(theirs) != split:
            return vouch(stacks)
        return rest | (set(body.decode("ascii").split("\n")) if body else set())

    def _collect(self) -> bytes | None:
        """The child's answer, or None if it gave none."""
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 16):
                chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            os.close(self._fd)
            self._fd = -1
        answer = b"".join(chunks)
        ok = self._reap() == 0 and (answer == b"-" or answer[:1] == b"+" and answer.count(b"\n") >= 2)
        return answer if ok else None

    def _reap(self) -> int:
        pid, self._pid = self._pid, 0
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return -1

    def close(self) -> None:
        """Stop a scan whose answer is no longer wanted (a load that failed
        or took the field-by-field path)."""
        if self._pid:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except OSError:
                pass
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
            self._reap()


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1
