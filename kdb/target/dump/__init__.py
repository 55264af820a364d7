"""Dump files: validation, the schema of their sections, building the model,
loading (docs/dump-format.md).

* :mod:`~kdb.target.dump.checks`: field validators and :class:`DumpError`;
* :mod:`~kdb.target.dump.schema`: the keys each section may hold;
* :mod:`~kdb.target.dump.procs`: processes and threads (fast and slow paths);
* :mod:`~kdb.target.dump.build`: the other sections, symbols, the model;
* :mod:`~kdb.target.dump.load`: reading, parsing, limits, freezing.
"""

from kdb.target.dump.checks import DumpError
from kdb.target.dump.load import build_dump, load_bytes, load_dump, release_dump

__all__ = ["DumpError", "build_dump", "load_bytes", "load_dump", "release_dump"]
