"""The debias-methods study on the site: ``results/studies/debias-methods/methods.json``
(written by ``bench/debias_methods.py``) as a page of its own, linked from the index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from biaskit.errors import DataError
from biaskit.results.leaderboard.page import esc, page

METHODS_STUDY = Path("studies") / "debias-methods" / "methods.json"
METHODS_PAGE = "debias-methods.html"
_COLUMNS = (("safety", "safety", 3), ("s_share", "S share", 3), ("cs_share", "CS share", 3), ("iir", "IIR (points)", 1),
            ("validity", "validity", 3), ("nbls_gap", "NBLS mean gap (points)", 1), ("fluency", "fluency (nats/token)", 2))  # fmt: skip


def read_methods_study(results_dir: Path) -> dict[str, Any] | None:
    """The committed study under ``results_dir``, or None when there is none."""
    path = Path(results_dir) / METHODS_STUDY
    if not path.is_file():
        return None
    try:
        study = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot be read as JSON ({exc})") from exc
    if not isinstance(study, dict) or not isinstance(study.get("methods"), dict) or "plain" not in study["methods"]:
        raise DataError(f"{path}: expected an object with 'methods' holding 'plain' and the other methods (bench/debias_methods.py writes it)")
    return study


def _change(figure: dict[str, float] | None, digits: int) -> str:
    if figure is None:  # e.g. self-debiasing has no answer scores, so no NBLS figure
        return "n/a"
    return f"{figure['change']:+.{digits}f} [{figure['low']:+.{digits}f}, {figure['high']:+.{digits}f}]"


def render_methods_page(study: dict[str, Any], index_href: str = "index.html") -> str:
    """One table: each method's change against plain decoding, with paired 95% intervals, and its speed."""
    setup = study.get("setup", {})
    head = "".join(f"<th>{esc(title)} change</th>" for _, title, _ in _COLUMNS)
    rows = []
    for name, figures in study["methods"].items():
        cells = "".join(f'<td class="num">{esc(_change(figures.get(key), digits))}</td>' for key, _, digits in _COLUMNS)
        rows.append(f"<tr><td>{esc(name)}</td>{cells}<td class=\"num\">{figures['tokens_per_s']:.1f}</td></tr>")
    body = (
        f'<p><a href="{esc(index_href)}">leaderboard</a></p><h1>Debiasing methods compared</h1>'
        f"<p>Model {esc(setup.get('model'))}; {len(setup.get('eval_ids', []))} held-out CLEAR-Bias base prompts and "
        f"{len(setup.get('iir_ids', []))} IIR prompts, greedy, {esc(setup.get('max_tokens'))} tokens; judge {esc(setup.get('judge'))}; "
        f"steering strength {esc(setup.get('strength'))} at layer {esc(setup.get('layer'))}, chosen on the fitting split. "
        "Each change is against plain decoding of the same prompts, with a paired 95% bootstrap interval. "
        "The command, what each column measures and what was reduced: <code>results/studies/debias-methods/README.md</code>.</p>"
        f"<table><thead><tr><th>method</th>{head}<th>tokens/s</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return page("biaskit: debiasing methods compared", body)
