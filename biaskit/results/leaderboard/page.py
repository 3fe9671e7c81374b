"""The HTML frame every page shares: inline style, the table-sorting script, a strict CSP.

Everything a run contributes (model names, responses, labels, categories) is untrusted: pages are
rendered from jinja2 templates with autoescape on (``templating``), so nothing is escaped by hand.
As a second line of defence the Content-Security-Policy allows no script but the sorting script
below (pinned by its hash), no images, and no network access, so a string that escaped escaping
still could not run or phone home.
"""

from __future__ import annotations

import base64
import hashlib

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
h1 { font-size: 1.5rem; overflow-wrap: anywhere; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1.05rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
#leaderboard { font-size: 0.8rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.3rem; text-align: left; vertical-align: top; }
td.nowrap { white-space: nowrap; }
table.summary td { overflow-wrap: anywhere; }
td.model { min-width: 6rem; max-width: 16rem; overflow-wrap: anywhere; }
td.judge { max-width: 12rem; }
.scroll { overflow-x: auto; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; background: #f3f5f8; user-select: none; vertical-align: bottom; }
table.sortable th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.sortable th[aria-sort="descending"]::after { content: " \\25BC"; }
tbody tr:hover { background: #fafbfd; }
.ci { color: #666; font-size: 0.85em; white-space: nowrap; }
td a { white-space: nowrap; }
.muted { color: #777; }
.warn { color: #a15c00; font-weight: 600; cursor: help; } p.warn { font-weight: normal; cursor: auto; }
table.samples { width: 100%; } table.samples td.item { width: 40%; } table.samples td:last-child { width: 28%; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
svg.chart { max-width: 100%; height: auto; }
pre.response, pre.prompt { white-space: pre-wrap; word-break: break-word; line-height: 1.4; max-height: calc(10 * 1.4em); overflow: auto; margin: 0; font-size: 0.8rem; background: #f7f7f7; padding: 0.3rem; resize: vertical; }
pre.prompt { max-height: calc(6 * 1.4em); background: #f4f6fa; margin-bottom: 0.3rem; } /* whole lines: a box never cuts a line in half */
.options { margin: 0; padding-left: 1.6rem; } .options li.stereotype { font-weight: 600; }
.tag { font-size: 0.75em; font-weight: normal; background: #f6d5d1; border-radius: 3px; padding: 0 0.25rem; white-space: nowrap; }
.label { font-weight: bold; padding: 0 0.3rem; border-radius: 3px; white-space: nowrap; }
.label-S { background: #f6d5d1; } .label-CS { background: #f7e6c4; } .label-D { background: #d4edda; } .label-R { background: #d6e4f5; } .label-M { background: #e4e4e4; }
details { margin: 0.5rem 0; } summary { cursor: pointer; font-weight: 600; }
.legend { background: #fafbfc; border: 1px solid #e3e6ea; border-radius: 4px; padding: 0.4rem 0.8rem; font-size: 0.85rem; }
.legend-groups { columns: 19rem 4; column-gap: 1.5rem; } .legend-group { break-inside: avoid; }
.legend-group { padding-top: 0.6rem; } .legend h3 { font-size: 0.95rem; margin: 0 0 0.3rem; } .legend p { margin: 0 0 0.3rem; color: #555; }
.legend dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.6rem; }
.legend dt { font-weight: 600; max-width: 8.5rem; } .legend dd { margin: 0; }
@media (max-width: 1199px) {
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; }
  table.cards thead { display: none; }
  table.cards tr { border: 1px solid #ddd; border-radius: 4px; margin: 0 0 0.6rem; padding: 0.2rem 0.4rem; }
  table.cards td, table.samples td.item, table.samples td:last-child { border: 0; padding: 0.15rem 0; text-align: left; white-space: normal; max-width: none; width: auto; }
  table.cards td[data-label]::before { content: attr(data-label) ": "; color: #666; }
  table.cards td:empty { display: none; }
  table.samples td:nth-child(-n+4) { display: inline-block; margin-right: 0.6rem; color: #555; }
  #leaderboard td:nth-child(-n+3) { display: inline-block; margin-right: 0.5rem; font-weight: 600; }
  #leaderboard td:nth-child(-n+3)::before { content: none; } #leaderboard td:first-child::before { content: "#"; color: inherit; }
}
"""


def page(title: str, body: str, sortable: bool = False) -> str:
    """A complete, self-contained HTML document around ``body`` (markup)."""
    from biaskit.results.leaderboard.templating import Markup, render

    script = Markup(SORT_SCRIPT) if sortable else ""
    return str(render("page.html.j2", title=title, body=Markup(body), csp=CSP, style=Markup(STYLE), script=script))


def num_cell(value: float | None, text: str | None = None, label: str = "", note: str = "", interval: str = "") -> str:
    """A right-aligned numeric cell that sorts by its value (empty cells sort last).

    ``label`` names the column where narrow screens show rows as cards; ``interval`` (text) goes
    after the number, on a line of its own when the column is narrow, and the whole figure becomes
    the cell's tooltip; ``note`` is markup (already escaped) at the end, such as a warning mark.
    """
    from biaskit.results.leaderboard.templating import Markup, cell

    return str(cell("num_cell", value, text, label, Markup(note), interval))
