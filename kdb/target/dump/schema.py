"""The keys each section and entity of a dump may hold (docs/dump-format.md,
version 1, with its optional sections). ``x_`` notes
are allowed everywhere."""

from __future__ import annotations

TOP_KEYS = frozenset({"kdb_dump", "system", "panic", "kmdb", "modules", "cpus", "zones", "procs",
                      "sobjs", "majors", "devinfo", "msgbuf", "types", "objects", "memory"})
SYSTEM_KEYS = frozenset({"nodename", "sysname", "release", "version", "machine", "isa", "dump",
                         "dump_file", "image_uuid", "time", "boot_time", "hz", "content"})
PROC_KEYS = frozenset({"addr", "pid", "ppid", "pgid", "sid", "uid", "gid", "flags", "state", "comm",
                       "psargs", "zone", "task", "project", "service", "start", "threads"})
THREAD_KEYS = frozenset({"addr", "tid", "lwp", "name", "start", "state", "flags", "pflags", "sflags",
                         "pri", "epri", "pil", "cpu", "wchan", "sobj", "sp", "resume", "stack",
                         "stack_error"})
FRAME_KEYS = frozenset({"pc", "fp", "args"})
CPU_KEYS = frozenset({"id", "addr", "flags", "thread", "idle_thread", "pri", "nrun", "bspl", "runrun",
                      "kprunrun", "switch_ticks", "state"})
ZONE_KEYS = frozenset({"id", "name", "addr", "status", "path", "brand", "ip", "uuid", "capped_cpu"})
MODULE_KEYS = frozenset({"id", "name", "text", "text_size", "data_size", "rev", "desc", "symbols"})
SYMBOL_KEYS = frozenset({"name", "addr", "size", "kind"})
SOBJ_KEYS = frozenset({"addr", "type", "name", "kind", "owner", "minspl", "oldspl", "writer",
                       "readers", "write_wanted", "count"})
MAJOR_KEYS = frozenset({"major", "name", "props"})
PROP_KEYS = frozenset({"name", "value", "repeat"})
DEV_KEYS = frozenset({"addr", "name", "driver", "instance", "major", "state", "props", "children"})
PANIC_KEYS = frozenset({"message", "cpu", "thread", "time", "registers"})
KMDB_KEYS = frozenset({"cpu", "pc", "instr"})
MSG_KEYS = frozenset({"time", "text"})
OBJECT_KEYS = frozenset({"addr", "type", "value"})
MEMORY_KEYS = frozenset({"addr", "hex", "base64"})
