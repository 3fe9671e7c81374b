"""Debiased scores of fixed answers (what NBLS reads in the debiased condition)."""

from __future__ import annotations

import json

import pytest
import torch

from biaskit.debias import rules
from biaskit.debias._lm import load_lm
from biaskit.debias.answers import score_answers
from biaskit.debias.api import swap_request, with_constitution
from biaskit.debias.constitution import load_constitution
from biaskit.debias.counterfactual import load_swaps
from biaskit.debias.settings import DebiasSettings
from biaskit.engines._chat import continuation_token_ids
from biaskit.engines._types import ChatRequest, ScoreRequest


def _full(lm, ids):
    with torch.inference_mode():
        return lm.model(input_ids=torch.tensor([ids])).logits[0].float().log_softmax(-1)


def test_constitutional_answer_score_is_verifier_logprob_minus_alpha_jsd(tiny_draft, tiny_verifier):
    draft, verifier = load_lm(str(tiny_draft)), load_lm(str(tiny_verifier))
    charter, swaps = load_constitution("anti_discrimination"), load_swaps()
    with_cf = ScoreRequest(context=ChatRequest.user("Is the Hindu farmer rich?"), continuation=" the farmer")
    without_cf = ScoreRequest(context=ChatRequest.user("Is the farmer rich?"), continuation=" the farmer")
    alpha = 3.0
    got = score_answers([with_cf, without_cf], draft, verifier, charter, swaps, DebiasSettings(rule="constitutional", alpha=alpha))

    # By hand, one uncached forward per sequence.
    target = continuation_token_ids(verifier.tokenizer, " the farmer")
    expected = []
    for request in (with_cf, without_cf):
        x = verifier.prompt_ids(with_constitution(request.context, charter))
        lp_x = _full(verifier, x + target)
        logprob = sum(float(lp_x[len(x) - 1 + i, t]) for i, t in enumerate(target))
        cf = swap_request(swaps, request.context)
        divergence = 0.0
        if cf is not None:
            xc = verifier.prompt_ids(with_constitution(cf, charter))
            lp_c = _full(verifier, xc + target)
            divergence = float(rules.jsd(lp_x[len(x) + len(target) - 1], lp_c[len(xc) + len(target) - 1]))
        expected.append((logprob, divergence))
    assert expected[0][1] > 0 and expected[1][1] == 0.0  # only the first prompt has an identity term
    for score, (logprob, divergence) in zip(got, expected):
        assert sum(score.token_logprobs) == pytest.approx(logprob, abs=1e-4)
        assert score.logprob == pytest.approx(logprob - alpha * divergence, abs=1e-4)


def test_reference_answer_score_uses_the_draft_logprob(tiny_draft, tiny_verifier):
    draft, verifier = load_lm(str(tiny_draft)), load_lm(str(tiny_verifier))
    request = ScoreRequest(context=ChatRequest.user("Is the farmer rich?"), continuation=" the farmer")
    got = score_answers([request], draft, verifier, load_constitution(), load_swaps(), DebiasSettings(rule="reference", alpha=2.0))[0]
    ids = draft.prompt_ids(request.context)
    target = continuation_token_ids(draft.tokenizer, " the farmer")
    lp = _full(draft, ids + target)
    draft_logprob = sum(float(lp[len(ids) - 1 + i, t]) for i, t in enumerate(target))
    assert got.logprob == pytest.approx(draft_logprob, abs=1e-4)  # no identity term: no penalty


def test_eval_nbls_with_debias_writes_a_paired_comparison(tmp_path, default_model):
    from biaskit.cli import main

    code = main(["eval", "--model", "smollm2-135m", "--backend", "hf", "--dtype", "float32", "--suite", "nbls",
                 "--limit", "3", "--nbls-tasks", "sc", "--nbls-attributes", "gender", "--debias", "default",
                 "--results-dir", str(tmp_path), "--bootstrap", "50", "--quiet"])  # fmt: skip
    assert code == 0
    debiased = [p for p in tmp_path.iterdir() if "-debiased-" in p.name]
    assert len(debiased) == 1
    paired = json.loads((debiased[0] / "paired.json").read_text())
    assert paired["comparison"]["matched"] > 0 and paired["cost"]["time_ratio"] > 0
    assert paired["decoding"] is None  # NBLS decodes nothing: every answer is scored by the rule
    manifest = json.loads((debiased[0] / "manifest.json").read_text())
    assert manifest["engine"]["backend"] == "debias-hf" and manifest["condition"] == "debiased"
