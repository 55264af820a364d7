"""Kernel symbol tables: lookup by name and by address, and synthesized symbols.

The dump's ``modules`` declare symbols. A code location that names a symbol
no table declares (``"swtch+0x221"`` in a dump without ``swtch``) gets a
synthesized function symbol in a synthetic text region, so every pc has an
address and every address a name. Synthesized symbols are laid out in sorted
(module, name) order with a size covering the largest offset seen, so their
addresses depend only on the dump's content.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterable

from kdb.target.model import KModule, Symbol

SYNTH_BASE = 0xFFFFFFFFF8000000
SYNTH_ALIGN = 0x10

LOCATION = re.compile(
    r"^(?:(?P<mod>[A-Za-z_][\w.-]*)`)?(?P<sym>[A-Za-z_.$][\w.$]*)(?:(?P<sign>[+-])(?P<off>0[xX][0-9a-fA-F]+|[0-9a-fA-F]+))?\Z"
)


def parse_location(text: str) -> tuple[str | None, str, int] | None:
    """Split ``mod`sym+0x1f`` into (module or None, symbol, offset)."""
    m = LOCATION.match(text)
    if not m:
        return None
    off = 0
    if m.group("off"):
        o = m.group("off")
        off = int(o[2:] if o[:2].lower() == "0x" else o, 16)
        if m.group("sign") == "-":
            off = -off
    return m.group("mod"), m.group("sym"), off


class SymbolTable:
    """Every symbol of the dump, searchable by name and by address."""

    def __init__(self, modules: list[KModule]) -> None:
        self.modules = modules
        self.by_name: dict[str, Symbol] = {}
        self.by_qualified: dict[str, Symbol] = {}
        self._sorted: list[Symbol] = []
        self._starts: list[int] = []
        for mod in modules:
            for sym in mod.symbols:
                self._add(sym)
        self._reindex()

    def _add(self, sym: Symbol) -> None:
        self.by_qualified[f"{sym.module}`{sym.name}"] = sym
        self.by_name.setdefault(sym.name, sym)

    def _reindex(self) -> None:
        self._sorted = sorted((s for s in self.by_qualified.values()), key=lambda s: s.addr)
        self._starts = [s.addr for s in self._sorted]

    def synthesize(self, wanted: dict[tuple[str, str], int], modules_by_name: dict[str, KModule]) -> None:
        """Create symbols for locations no table declares.

        ``wanted`` maps (module, name) to the largest offset used with it.
        """
        addr = SYNTH_BASE
        if self._sorted:
            top = max(s.addr + max(s.size, 1) for s in self._sorted)
            if top > addr:
                addr = (top + 0xFFFF) & ~0xFFFF
        for (mod, name), max_off in sorted(wanted.items()):
            size = max(0x100, (max_off + 0x10 + SYNTH_ALIGN - 1) & ~(SYNTH_ALIGN - 1))
            sym = Symbol(name, addr, size, "func", mod, synthetic=True)
            self._add(sym)
            km = modules_by_name.get(mod)
            if km is not None:
                km.symbols.append(sym)
            addr += size
        self._reindex()

    def add_data(self, sym: Symbol) -> None:
        """Add one symbol (a synthesized data object), and to its module's
        table when the dump has that module."""
        self._add(sym)
        for km in self.modules:
            if km.name == sym.module:
                km.symbols.append(sym)
                break
        self._reindex()

    def lookup(self, name: str) -> Symbol | None:
        """A symbol by ``name`` or ``module`name``."""
        if "`" in name:
            return self.by_qualified.get(name)
        return self.by_name.get(name)

    def containing(self, addr: int) -> Symbol | None:
        """The symbol whose [addr, addr+size) range holds ``addr`` (smart mode)."""
        i = bisect.bisect_right(self._starts, addr) - 1
        while i >= 0:
            sym = self._sorted[i]
            if sym.addr == addr or addr < sym.addr + sym.size:
                return sym
            if sym.addr < addr and self._starts[i] != addr:
                return None
            i -= 1
        return None

    def __iter__(self) -> Iterable[Symbol]:
        return iter(self._sorted)

    def names(self) -> list[str]:
        return sorted(self.by_name)
