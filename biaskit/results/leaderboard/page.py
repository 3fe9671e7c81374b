"""The HTML frame every page shares: inline style, the table-sorting script, a strict CSP.

Everything a run contributes (model names, responses, labels, categories) is untrusted and goes
through :func:`esc`. As a second line of defence the Content-Security-Policy allows no script but
the sorting script below (pinned by its hash), no images, and no network access, so a string that
escaped escaping still could not run or phone home.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var headers = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headers, function (th, col) {
    th.tabIndex = 0;
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var cell = row.cells[col];
        var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
        var num = parseFloat(raw);
        return { empty: raw.trim() === "", num: isNaN(num) ? null : num, text: raw.toLowerCase() };
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x.empty !== y.empty) { return x.empty ? 1 : -1; }
        var c = (x.num !== null && y.num !== null) ? x.num - y.num : (x.text < y.text ? -1 : x.text > y.text ? 1 : 0);
        return asc ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
});
"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode()
CSP = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1400px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1.05rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
td.nowrap { white-space: nowrap; }
td.model { min-width: 12rem; max-width: 24rem; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sortable th { cursor: pointer; background: #f3f5f8; user-select: none; }
table.sortable th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.sortable th[aria-sort="descending"]::after { content: " \\25BC"; }
tbody tr:hover { background: #fafbfd; }
.ci { color: #777; font-size: 0.8em; }
.muted { color: #777; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
pre.response { white-space: pre-wrap; word-break: break-word; max-height: 12rem; overflow: auto; margin: 0; font-size: 0.8rem; background: #f7f7f7; padding: 0.3rem; }
.label { font-weight: bold; padding: 0 0.3rem; border-radius: 3px; }
.label-S { background: #f6d5d1; } .label-CS { background: #f7e6c4; } .label-D { background: #d4edda; } .label-R { background: #d6e4f5; }
details { margin: 0.5rem 0; } summary { cursor: pointer; font-weight: 600; }
"""


def esc(text: object) -> str:
    """HTML-escape any value for element text and quoted attributes."""
    return escape("" if text is None else str(text), quote=True)


def page(title: str, body: str, sortable: bool = False) -> str:
    """A complete, self-contained HTML document."""
    script = f"<script>{SORT_SCRIPT}</script>" if sortable else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n"
        f"<body>\n{body}\n{script}</body></html>\n"
    )


def num_cell(value: float | None, text: str | None = None) -> str:
    """A right-aligned numeric cell that sorts by its value (empty cells sort last)."""
    if value is None:
        return '<td class="num" data-sort=""></td>'
    return f'<td class="num" data-sort="{value!r}">{esc(text if text is not None else value)}</td>'
