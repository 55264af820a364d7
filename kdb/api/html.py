"""Jupyter's rich display: records and stack groups as HTML tables.

Every value is escaped (dump strings are untrusted: a process name may
hold markup) and control characters are shown escaped, as the terminal
writer shows them."""

from __future__ import annotations

import html
from typing import Any, Iterable, Sequence

from kdb.output.printf import safe_text

#: rows shown before "... N more"
MAX_ROWS = 500


def cell(value: Any) -> str:
    """One value, escaped for HTML."""
    if isinstance(value, (dict, list, tuple)):
        import json
        value = json.dumps(value, default=str)
    return html.escape(safe_text(str(value)), quote=True)


def pre(text: str, style: str = "") -> str:
    """TEXT in a <pre>, line by line escaped (newlines kept)."""
    body = "\n".join(cell(line) for line in text.split("\n"))
    return f'<pre style="{html.escape(style)}">{body}</pre>' if style else f"<pre>{body}</pre>"


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A table of ROWS under COLUMNS (at most MAX_ROWS shown)."""
    out = ["<table>", "<thead><tr>" + "".join(f"<th>{cell(c)}</th>" for c in columns) + "</tr></thead>",
           "<tbody>"]
    n = 0
    for row in rows:
        n += 1
        if n <= MAX_ROWS:
            out.append("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>")
    out.append("</tbody></table>")
    if n > MAX_ROWS:
        out.append(f"<p>... {n - MAX_ROWS} more rows</p>")
    return "\n".join(out)


def records_table(records: Sequence[dict[str, Any]], text: str, errors: Sequence[str]) -> str:
    """A command's records, one column per field (the union, in first-seen
    order); its text in a <pre> where it made no records other than text."""
    parts = []
    data = [r for r in records if r.get("kind") != "text"]
    if data:
        cols: list[str] = []
        for r in data:
            cols += [k for k in r if k not in cols]
        parts.append(table(cols, ([r.get(c, "") for c in cols] for r in data)))
    elif text:
        parts.append(pre(text))
    if errors:
        parts.append(pre("\n".join(errors), "color: #b00"))
    return "\n".join(parts)
