"""The API for debugger modules: what ``mdb_modapi.h`` is to mdb.

A module file imports everything it needs from here::

    from kdb.modapi import Module, Opt, Call, DCMD_USAGE

See docs/modules.md. Inside: :mod:`kdb.modapi.api` (modules, dcmds, walkers,
calls), :mod:`kdb.modapi.options` (options declared once),
:mod:`kdb.modapi.registry` (name lookup over the loaded modules).
"""

from kdb.modapi.api import (DCMD_ABORT, DCMD_ADDRSPEC, DCMD_ERR, DCMD_LOOP, DCMD_LOOPFIRST,
                            DCMD_NEXT, DCMD_OK, DCMD_PIPE, DCMD_PIPE_OUT, DCMD_USAGE, Call, Dcmd,
                            Module, Walk, Walker, walk_addresses)
from kdb.modapi.options import Opt, UsageRequest
from kdb.modapi.records import ADDR, BOOL, INT, LIST, NUM, OBJECT, STR, RecordKind

__all__ = ["ADDR", "BOOL", "INT", "LIST", "NUM", "OBJECT", "STR", "RecordKind", "DCMD_ABORT", "DCMD_ADDRSPEC", "DCMD_ERR", "DCMD_LOOP", "DCMD_LOOPFIRST", "DCMD_NEXT",
           "DCMD_OK", "DCMD_PIPE", "DCMD_PIPE_OUT", "DCMD_USAGE", "Call", "Dcmd", "Module", "Opt",
           "UsageRequest", "Walk", "Walker", "walk_addresses"]
