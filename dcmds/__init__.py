"""Bundled debugger modules (kdb's dmods), grouped the way mdb groups them.

* ``core/``: the debugger's own built-ins (module ``kdb``): formats,
  expressions, help, variables, session settings, C types;
* ``kvm/``: the kernel target's built-ins (``::status``, ``$c``, ``$C``,
  ``::stack``), loaded when a dump is open, as the rest below;
* ``genunix/``: the kernel's generic dcmds and walkers (module ``genunix``);
* ``krtld/``: the kernel runtime linker's (``::modinfo``).

Every file defines a :class:`kdb.modapi.Module` and registers its dcmds and
walkers on it; the session loads them all at start (docs/modules.md).
Files and folders whose names start with ``_`` hold shared helpers.
"""
