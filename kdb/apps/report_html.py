"""``kdb triage --html REPORT.html``: one self-contained page.

Per dump: its findings (the text report), a flame graph of its threads'
stacks and the wait-for graph of its locks, both SVG drawn here (no
script, no external resource: the page opens from a mail attachment or a
ticket); for many dumps, the bucket table first, each bucket linking to
its example dump. Every string from a dump is escaped.

Flame graph: the folded stacks (kdb.output.folded) as a tree, root at the
bottom, each box as wide as the threads under it, its title the frame and
count. Wait-for graph: threads (ellipses) and the sync objects they wait on
(boxes), an arrow from a waiter to its object and from the object to its
holder; the edges of a deadlock cycle red. Nodes sit on a circle, the
cycles' first.
"""

from __future__ import annotations

import html
import math
import os
from collections import Counter
from typing import Any

from kdb.output.printf import safe_text

WIDTH = 1200
ROW = 17
MAX_GRAPH_NODES = 60


def esc(text: Any) -> str:
    return html.escape(safe_text(str(text)), quote=True)


# ---------------------------------------------------------------------------
# flame graph
# ---------------------------------------------------------------------------
def _tree(folded: Counter[str]) -> dict[str, Any]:
    root: dict[str, Any] = {"name": "all", "count": 0, "kids": {}}
    for stack, n in folded.items():
        root["count"] += n
        node = root
        for frame in stack.split(";"):
            node = node["kids"].setdefault(frame, {"name": frame, "count": 0, "kids": {}})
            node["count"] += n
    return root


def _depth(node: dict[str, Any]) -> int:
    return 1 + max((_depth(k) for k in node["kids"].values()), default=0)


def _colour(name: str) -> str:
    h = sum(name.encode()) % 60
    return f"hsl({h}, 80%, 60%)"


def flame_svg(folded: Counter[str]) -> str:
    """An SVG flame graph of FOLDED (empty stacks: an empty graph)."""
    root = _tree(folded)
    if not root["count"]:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    depth = _depth(root)
    height = depth * ROW + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="flame" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="monospace" font-size="11">']

    def draw(node: dict[str, Any], x: float, level: int) -> None:
        w = WIDTH * node["count"] / root["count"]
        y = height - (level + 1) * ROW
        label = f"{node['name']} ({node['count']} thread{'s' * (node['count'] != 1)})"
        out.append(f'<g><title>{esc(label)}</title><rect x="{x:.2f}" y="{y}" width="{max(w - 0.5, 0.1):.2f}" '
                   f'height="{ROW - 1}" fill="{_colour(node["name"])}" rx="2"/>')
        chars = int(w / 7)
        if chars >= 3:
            text = node["name"] if len(node["name"]) <= chars else node["name"][:chars - 2] + ".."
            out.append(f'<text x="{x + 3:.2f}" y="{y + ROW - 5}">{esc(text)}</text>')
        out.append("</g>")
        cx = x
        for k in sorted(node["kids"].values(), key=lambda k: k["name"]):
            draw(k, cx, level + 1)
            cx += WIDTH * k["count"] / root["count"]

    draw(root, 0.0, 0)
    out.append("</svg>")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# wait-for graph
# ---------------------------------------------------------------------------
def graph_svg(graph: dict[str, Any]) -> str:
    """GRAPH: ``{"edges": [{"waiter", "waiter_name", "object", "object_name",
    "holder", "holder_name"}], "cycles": [[thread, ...]]}`` as SVG."""
    edges = graph["edges"]
    if not edges:
        return '<p class="none">no thread waits for a lock another thread holds</p>'
    in_cycle = {t for c in graph["cycles"] for t in c}
    names: dict[str, tuple[str, str]] = {}         # node id -> (label, kind)
    order: list[str] = []

    def node(nid: str, label: str, kind: str) -> None:
        if nid not in names:
            names[nid] = (label, kind)
            order.append(nid)
    for cyc in graph["cycles"]:
        for t in cyc:
            e = next(e for e in edges if e["waiter"] == t)
            node(t, e["waiter_name"], "thread")
            node(e["object"], e["object_name"], "sobj")
    for e in edges:
        node(e["waiter"], e["waiter_name"], "thread")
        node(e["object"], e["object_name"], "sobj")
        node(e["holder"], e["holder_name"], "thread")
    shown = order[:MAX_GRAPH_NODES]
    n = len(shown)
    r = max(120, 40 * n / math.pi)
    size = int(2 * r + 260)
    c = size / 2
    pos = {nid: (c + r * math.cos(2 * math.pi * i / n - math.pi / 2),
                 c + r * math.sin(2 * math.pi * i / n - math.pi / 2)) for i, nid in enumerate(shown)}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="waitfor" width="{size}" height="{size}" '
           f'viewBox="0 0 {size} {size}" font-family="monospace" font-size="11">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="context-stroke"/></marker></defs>']

    def line(a: str, b: str, red: bool, what: str) -> None:
        if a not in pos or b not in pos:
            return
        (x1, y1), (x2, y2) = pos[a], pos[b]
        d = math.hypot(x2 - x1, y2 - y1) or 1
        sx, sy = x1 + (x2 - x1) * 30 / d, y1 + (y2 - y1) * 30 / d
        ex, ey = x2 - (x2 - x1) * 34 / d, y2 - (y2 - y1) * 34 / d
        colour = "#c00" if red else "#555"
        cls = "cycle" if red else "edge"
        out.append(f'<line class="{cls}" x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" '
                   f'stroke="{colour}" stroke-width="{2.5 if red else 1.2}" marker-end="url(#arrow)">'
                   f'<title>{esc(what)}</title></line>')
    for e in edges:
        red = e["waiter"] in in_cycle and e["holder"] in in_cycle
        line(e["waiter"], e["object"], red, f"{e['waiter_name']} waits on {e['object_name']}")
        line(e["object"], e["holder"], red, f"{e['object_name']} is held by {e['holder_name']}")
    for nid in shown:
        label, kind = names[nid]
        x, y = pos[nid]
        stroke = "#c00" if nid in in_cycle or kind == "sobj" and any(
            ed["object"] == nid and ed["waiter"] in in_cycle and ed["holder"] in in_cycle for ed in edges) \
            else "#333"
        if kind == "thread":
            out.append(f'<g class="thread"><title>{esc(nid)}</title><ellipse cx="{x:.1f}" cy="{y:.1f}" rx="30" '
                       f'ry="18" fill="#eef" stroke="{stroke}" stroke-width="2"/>')
        else:
            out.append(f'<g class="sobj"><title>{esc(nid)}</title><rect x="{x - 30:.1f}" y="{y - 15:.1f}" '
                       f'width="60" height="30" fill="#ffe" stroke="{stroke}" stroke-width="2"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 34:.1f}" text-anchor="middle">{esc(label[:40])}</text></g>')
    if len(order) > n:
        out.append(f'<text x="8" y="{size - 8}">{len(order) - n} more nodes not drawn</text>')
    out.append("</svg>")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# the page
# ---------------------------------------------------------------------------
STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
svg{display:block;margin:.5em 0;max-width:100%;height:auto}h2{border-top:2px solid #ddd;padding-top:.6em}
.error{color:#b00}"""


def page(reports: list[dict[str, Any]], table: list[dict[str, Any]], texts: list[str]) -> str:
    """The whole page: REPORTS (triage's, each with ``folded`` and
    ``graph`` when it loaded), the bucket TABLE, each report's TEXTS."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>kdb triage</title>", f"<style>{STYLE}</style></head><body>",
           f"<h1>kdb triage: {len(reports)} dump{'s' * (len(reports) != 1)}</h1>"]
    ids = {r["dump"]: f"dump{i}" for i, r in enumerate(reports)}
    by_base: dict[str, str] = {}
    for r in reports:
        by_base.setdefault(os.path.basename(r["dump"]), ids[r["dump"]])
    if len(reports) > 1:
        out.append('<table class="buckets"><thead><tr><th>count</th><th>signature</th><th>hash</th>'
                   "<th>examples</th></tr></thead><tbody>")
        for b in table:
            links = ", ".join(f'<a href="#{by_base.get(ex, "")}">{esc(ex)}</a>' for ex in b["examples"])
            out.append(f'<tr><td>{b["count"]}</td><td>{esc(b["signature"])}</td><td>{esc(b["hash"])}</td>'
                       f"<td>{links}</td></tr>")
        out.append("</tbody></table>")
    for r, text in zip(reports, texts):
        out.append(f'<h2 id="{ids[r["dump"]]}">{esc(r["dump"])}</h2>')
        if "error" in r:
            out.append(f'<p class="error">{esc(r["error"])}</p>')
            continue
        out.append("<pre>" + "\n".join(esc(line) for line in text.split("\n")) + "</pre>")
        out.append("<h3>Where the threads are</h3>")
        out.append(flame_svg(Counter(r.get("folded") or {})))
        out.append("<h3>Who waits for whom</h3>")
        out.append(graph_svg(r.get("graph") or {"edges": [], "cycles": []}))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
