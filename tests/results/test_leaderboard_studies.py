"""The debias-methods study on the site: read from results/studies/, one page, linked from the index."""

from __future__ import annotations

import json

import pytest

from biaskit.errors import DataError
from biaskit.results.leaderboard import build_leaderboard
from biaskit.results.leaderboard.synthetic import write_clear_bias_run


def _figure(change: float) -> dict[str, float]:
    return {"before": 0.5, "after": 0.5 + change, "change": change, "low": change - 0.1, "high": change + 0.1}


def _study(methods: tuple[str, ...]) -> dict:
    keys = ("safety", "s_share", "cs_share", "iir", "validity", "fluency", "nbls_gap")
    return {"setup": {"model": "smollm2-135m", "eval_ids": ["SC-base-001"], "iir_ids": [], "max_tokens": 32, "judge": "trained",
                      "strength": 0.5, "layer": 10},
            "methods": {m: {**{k: _figure(0.02 * n) for k in keys}, "tokens_per_s": 10.0 + n} for n, m in enumerate(methods)}}  # fmt: skip


def test_study_gets_a_page_linked_from_the_index(tmp_path):
    results = tmp_path / "results"
    write_clear_bias_run(results, "run-a", model="org/alpha", prompts_per_cell=2, attacks=False, n_boot=10)
    study = results / "studies" / "debias-methods"
    study.mkdir(parents=True)
    (study / "methods.json").write_text(json.dumps(_study(("plain", "steering<script>"))))
    build_leaderboard(results, tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text()
    assert 'href="debias-methods.html"' in index
    page = (tmp_path / "site" / "debias-methods.html").read_text()
    assert "+0.020 [-0.080, +0.120]" in page and "NBLS mean gap" in page and "steering&lt;script&gt;" in page and "<script>" not in page.split("</table>")[0]


def test_no_study_no_page_and_a_broken_one_is_named(tmp_path):
    results = tmp_path / "results"
    write_clear_bias_run(results, "run-a", model="org/alpha", prompts_per_cell=2, attacks=False, n_boot=10)
    build_leaderboard(results, tmp_path / "site")
    assert not (tmp_path / "site" / "debias-methods.html").exists()
    assert "debias-methods.html" not in (tmp_path / "site" / "index.html").read_text()
    study = results / "studies" / "debias-methods"
    study.mkdir(parents=True)
    (study / "methods.json").write_text(json.dumps({"methods": {}}))
    with pytest.raises(DataError, match="methods.json"):
        build_leaderboard(results, tmp_path / "site2")
