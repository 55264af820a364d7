"""The registry of loaded debugger modules, their dcmds and walkers.

Modules come from the bundled ``dcmds/`` package (``kdb.dcmds``), from the
directories in ``KDB_MODULE_PATH`` and from ``::load FILE``. A module file is
any Python file that defines a :class:`~kdb.modapi.Module` at top level.
Modules whose ``targets`` exclude the session's target kind are not loaded.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from types import ModuleType
from typing import Any, Iterable

from kdb.errors import CmdError
from kdb.modapi.api import Dcmd, Module, Walker
from kdb.modapi.records import RecordKind


def _modules_in(pymod: ModuleType) -> list[Module]:
    return [v for v in vars(pymod).values() if isinstance(v, Module)]


class Registry:
    """Name lookup for dcmds and walkers across the loaded modules."""

    @classmethod
    def loaded(cls, target_kind: str) -> "Registry":
        """A registry with every bundled module for TARGET_KIND loaded (for
        the generated docs and the schema, which describe a kernel session)."""
        reg = cls(target_kind)
        reg.load_package()
        return reg

    def __init__(self, target_kind: str = "none") -> None:
        self.target_kind = target_kind
        self.modules: dict[str, Module] = {}
        self._dcmds: dict[str, list[Dcmd]] = {}
        self._walkers: dict[str, list[Walker]] = {}

    # loading -------------------------------------------------------------
    def add(self, module: Module) -> bool:
        """Add a module's definitions; merge with a module of the same name."""
        if not module.applies_to(self.target_kind):
            return False
        existing = self.modules.get(module.name)
        if existing is None:
            self.modules[module.name] = Module(module.name, module.targets, module.builtin,
                                               path=module.path)
            existing = self.modules[module.name]
        for d in module.dcmds:
            existing.dcmds.append(d)
            self._dcmds.setdefault(d.name, []).append(d)
        for w in module.walkers:
            existing.walkers.append(w)
            self._walkers.setdefault(w.name, []).append(w)
        existing.records.update(module.records)
        existing.families.extend(module.families)
        return True

    def remove(self, name: str) -> None:
        mod = self.modules.pop(name, None)
        if mod is None:
            raise CmdError(f"failed to unload {name}: specified module is not loaded")
        for d in mod.dcmds:
            self._dcmds[d.name] = [x for x in self._dcmds.get(d.name, []) if x is not d]
            if not self._dcmds[d.name]:
                del self._dcmds[d.name]
        for w in mod.walkers:
            self._walkers[w.name] = [x for x in self._walkers.get(w.name, []) if x is not w]
            if not self._walkers[w.name]:
                del self._walkers[w.name]

    def load_package(self) -> list[str]:
        """Load every bundled module in ``kdb.dcmds``; return the failures."""
        errors = []
        pkg = importlib.import_module("kdb.dcmds")
        infos = pkgutil.walk_packages(pkg.__path__, "kdb.dcmds.")
        for info in sorted(infos, key=lambda i: i.name):
            if info.ispkg or any(part.startswith("_") for part in info.name.split(".")):
                continue
            try:
                pymod = importlib.import_module(info.name)
            except Exception as e:  # a broken bundled module must not stop kdb
                errors.append(f"internal error: failed to load module {info.name.rpartition('.')[2]}: "
                              f"{type(e).__name__}: {e}")
                continue
            for m in _modules_in(pymod):
                self.add(m)
        return errors

    def load_file(self, path: str) -> list[Module]:
        """Load a module file (``::load``, ``KDB_MODULE_PATH``)."""
        if not os.path.isfile(path):
            raise CmdError(f"failed to load module {path}: No such file or directory")
        modname = "kdb_usermod_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
        spec = importlib.util.spec_from_file_location(modname, path)
        if spec is None or spec.loader is None:
            raise CmdError(f"failed to load module {path}: not a Python module")
        pymod = importlib.util.module_from_spec(spec)
        try:
            sys.modules[modname] = pymod
            spec.loader.exec_module(pymod)
        except Exception as e:  # a broken user module must not kill the session
            sys.modules.pop(modname, None)
            raise CmdError(f"failed to load module {path}: {type(e).__name__}: {e}") from None
        found = _modules_in(pymod)
        if not found:
            raise CmdError(f"failed to load module {path}: no Module defined")
        loaded = []
        for m in found:
            m.path = path
            if m.name in self.modules and not self.modules[m.name].builtin:
                self.remove(m.name)
            if self.add(m):
                loaded.append(m)
        return loaded

    def load_path(self, path: str | None) -> list[str]:
        """Load every ``*.py`` in the ``:``-separated directories of ``path``."""
        errors = []
        for d in (path or "").split(os.pathsep):
            if not d or not os.path.isdir(d):
                continue
            for fn in sorted(os.listdir(d)):
                if fn.endswith(".py") and not fn.startswith("_"):
                    try:
                        self.load_file(os.path.join(d, fn))
                    except CmdError as e:
                        errors.append(e.message)
        return errors

    # lookup ----------------------------------------------------------------
    def dcmd(self, name: str) -> Dcmd | None:
        """Find a dcmd by bare name or ``module`name``; the newest definition wins."""
        if "`" in name:
            mod, _, bare = name.rpartition("`")
            m = self.modules.get(mod)
            if m is None:
                return None
            for d in reversed(m.dcmds):
                if d.name == bare:
                    return d
            return None
        found = self._dcmds.get(name)
        return found[-1] if found else None

    def dcmd_definitions(self, name: str) -> list[Dcmd]:
        return list(reversed(self._dcmds.get(name, [])))

    def walker(self, name: str) -> Walker | None:
        if "`" in name:
            mod, _, bare = name.rpartition("`")
            m = self.modules.get(mod)
            if m is None:
                return None
            for w in reversed(m.walkers):
                if w.name == bare:
                    return w
            return None
        found = self._walkers.get(name)
        return found[-1] if found else None

    def session_walker(self, session: Any, name: str) -> Walker | None:
        """A walker by name, the target's own (Module.walker_family) after the modules'."""
        w = self.walker(name)
        if w is not None or "`" in name:
            return w
        for m in self.modules.values():
            for family in m.families:
                found = family(session).get(name)
                if found is not None:
                    return found
        return None

    def session_walkers(self, session: Any) -> list[Walker]:
        """Every walker: the modules', then the target's own not shadowed by one."""
        out = list(self.all_walkers())
        names = {w.name for w in out}
        for m in self.modules.values():
            for family in m.families:
                out.extend(w for n, w in family(session).items() if n not in names)
        return out

    def walker_definitions(self, name: str) -> list[Walker]:
        return list(reversed(self._walkers.get(name, [])))

    def all_dcmds(self) -> Iterable[Dcmd]:
        for defs in self._dcmds.values():
            yield defs[-1]

    def record_kinds(self) -> dict[str, RecordKind]:
        """Every record kind the loaded modules declare, by name."""
        out: dict[str, RecordKind] = {}
        for m in self.modules.values():
            out.update(m.records)
        return out

    def address_fields(self) -> frozenset[str]:
        """Every record field, in any kind, that holds addresses."""
        return frozenset().union(*(k.addresses for k in self.record_kinds().values()))

    def all_walkers(self) -> Iterable[Walker]:
        for defs in self._walkers.values():
            yield defs[-1]
