"""The keys each section and entity of a dump may hold (docs/dump-format.md,
version 1, with its optional sections). ``x_`` notes are allowed everywhere.

The keys of everything the model represents come from the model itself
(:func:`json_keys`): a msgspec Struct's JSON field names, an attrs class's
fields less those marked :data:`~kdb.target.model.DERIVED`. Only the top
level and the raw sections (objects, memory) are listed here.
"""

from __future__ import annotations

from typing import Any

import attrs
import msgspec

from kdb.target import callouts, model, taskqs


def json_keys(cls: Any) -> frozenset[str]:
    """The keys a dump may give for an entity of model class CLS."""
    if isinstance(cls, type) and issubclass(cls, msgspec.Struct):
        return frozenset(f.encode_name for f in msgspec.structs.fields(cls)
                         if not f.encode_name.startswith("@kdb:"))
    return frozenset(f.name for f in attrs.fields(cls) if f.metadata != model.DERIVED)


TOP_KEYS = frozenset({"kdb_dump", "system", "panic", "kmdb", "modules", "cpus", "zones", "procs",
                      "sobjs", "majors", "devinfo", "msgbuf", "types", "objects", "memory",
                      "globals", "taskqs", "callouts", "kmem"})
SYSTEM_KEYS = json_keys(model.SystemInfo)
PROC_KEYS = json_keys(model.Proc)
THREAD_KEYS = json_keys(model.Thread)
FRAME_KEYS = json_keys(model.RawFrame)
SOBJ_REF_KEYS = json_keys(model.SobjRef)
CPU_KEYS = json_keys(model.Cpu)
ZONE_KEYS = json_keys(model.Zone)
MODULE_KEYS = json_keys(model.KModule)
SYMBOL_KEYS = json_keys(model.Symbol)
SOBJ_KEYS = json_keys(model.Sobj)
MAJOR_KEYS = json_keys(model.Major)
PROP_KEYS = json_keys(model.Prop)
DEV_KEYS = json_keys(model.DevNode)
PANIC_KEYS = json_keys(model.Panic)
KMDB_KEYS = json_keys(model.KmdbStop)
MSG_KEYS = json_keys(model.Message)
TASKQ_KEYS = json_keys(taskqs.Taskq)
TASK_KEYS = json_keys(taskqs.Task)
CALLOUT_KEYS = json_keys(callouts.Callout)
OBJECT_KEYS = frozenset({"addr", "type", "value"})
MEMORY_KEYS = frozenset({"addr", "hex", "base64"})
