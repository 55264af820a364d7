"""State files (history, exercise progress): written so that nothing is lost.

:func:`atomic_write` is the one crash-safe write every state file goes
through (docs/robustness.md, "Nothing lost").
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


STALE_TEMP_SECONDS = 60


def atomic_write(path: Path, data: str) -> None:
    """Write a file so that a crash leaves either the old or the new content.

    The data goes to a temporary file beside PATH, is flushed to disk
    (fsync), renamed over PATH, and the directory is synced. A process
    killed mid-write leaves only its temporary file, which a later write
    removes once it is a minute old (a younger one may be another session's,
    still writing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        try:
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _remove_stale_temps(path: Path) -> None:
    now = time.time()
    try:
        for entry in os.scandir(path.parent):
            if entry.name.startswith("." + path.name + ".") and \
                    now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS:
                os.unlink(entry.path)
    except OSError:
        pass
