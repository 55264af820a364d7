"""Bundled debugger modules (kdb's dmods): one topic per file.

Every file defines a :class:`kdb.modapi.Module` and registers its dcmds and
walkers on it. The session loads them all at start; see ``kdb/modapi.py``.
"""
