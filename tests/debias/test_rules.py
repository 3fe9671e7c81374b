"""The selection rules on hand-made distributions: accept, reject and re-rank exactly as documented."""

from __future__ import annotations

import math

import pytest
import torch

from biaskit.debias import rules


def logs(*probs: float) -> torch.Tensor:
    return torch.tensor(probs).log()


def test_jsd_is_zero_for_equal_and_ln2_for_disjoint_distributions():
    p = logs(0.7, 0.2, 0.1)
    assert float(rules.jsd(p, p)) == pytest.approx(0.0, abs=1e-6)
    disjoint = float(rules.jsd(torch.tensor([0.0, -1e9]), torch.tensor([-1e9, 0.0])))
    assert disjoint == pytest.approx(math.log(2), abs=1e-6)


def test_jsd_is_symmetric_and_batched():
    p, q = logs(0.5, 0.3, 0.2), logs(0.1, 0.1, 0.8)
    assert float(rules.jsd(p, q)) == pytest.approx(float(rules.jsd(q, p)), abs=1e-7)
    batch = rules.jsd(torch.stack([p, p]), torch.stack([q, p]))
    assert batch.shape == (2,) and float(batch[1]) == pytest.approx(0.0, abs=1e-6)


def test_reference_divergence_reads_one_probability_as_two_outcomes():
    assert rules.bernoulli_jsd(0.3, 0.3) == pytest.approx(0.0, abs=1e-9)
    assert rules.bernoulli_jsd(1.0, 0.0) == pytest.approx(math.log(2), abs=1e-6)
    # the scalar form ignores how the rest of the distribution moved: only p(c) under x and x' count
    assert rules.bernoulli_jsd(0.2, 0.6) == pytest.approx(rules.bernoulli_jsd(0.8, 0.4), abs=1e-9)


def test_reference_rule_accepts_the_draft_favourite_when_the_verifier_agrees_under_both_prompts():
    # candidates: draft log q, verifier p(c|x), p(c|x')
    cands = [(-0.2, 0.6, 0.6), (-1.8, 0.3, 0.3)]
    scores = [rules.reference_score(q, p, p2, alpha=1.0) for q, p, p2 in cands]
    assert scores == pytest.approx([-0.2, -1.8])
    assert rules.reference_accepts(scores, 0)


def test_reference_rule_rejects_and_reranks_when_the_counterfactual_flips_the_favourite():
    # the draft's top token is very likely under x but unlikely once the identity is swapped
    cands = [(-0.1, 0.99, 0.01), (-0.9, 0.4, 0.4), (-2.0, 0.1, 0.1)]
    scores = [rules.reference_score(q, p, p2, alpha=2.0) for q, p, p2 in cands]
    assert scores[0] == pytest.approx(-0.1 - 2.0 * rules.bernoulli_jsd(0.99, 0.01))
    assert not rules.reference_accepts(scores, 0)
    assert rules.rerank(scores) == 1
    # with alpha = 0 the rule is greedy draft decoding again
    greedy = [rules.reference_score(q, p, p2, alpha=0.0) for q, p, p2 in cands]
    assert rules.reference_accepts(greedy, 0)


def test_constitutional_rule_accepts_within_the_margin_and_rejects_beyond_it():
    best = math.log(0.5)
    token = math.log(0.25)  # ln 2 = 0.693 nats below the verifier's best
    assert rules.constitutional_accepts(token, 0.0, best, alpha=1.0, margin=0.7)
    assert not rules.constitutional_accepts(token, 0.0, best, alpha=1.0, margin=0.6)
    # margin 0: only the verifier's own argmax with no divergence passes
    assert rules.constitutional_accepts(best, 0.0, best, alpha=1.0, margin=0.0)
    assert not rules.constitutional_accepts(best, 0.01, best, alpha=1.0, margin=0.0)


def test_constitutional_rule_penalises_divergence_between_prompt_and_counterfactual():
    best = math.log(0.6)
    p_after = logs(0.9, 0.05, 0.05)
    same = float(rules.jsd(p_after, p_after))
    flipped = float(rules.jsd(p_after, logs(0.05, 0.05, 0.9)))
    assert rules.constitutional_accepts(best, same, best, alpha=2.0, margin=0.5)
    assert not rules.constitutional_accepts(best, flipped, best, alpha=2.0, margin=0.5)


def test_rerank_picks_the_highest_penalised_score_and_breaks_ties_in_draft_order():
    candidates = [(math.log(0.5), 0.6), (math.log(0.3), 0.0), (math.log(0.2), 0.0)]
    scores = [rules.constitutional_score(lp, d, alpha=1.0) for lp, d in candidates]
    assert rules.rerank(scores) == 1
    assert rules.rerank([-1.0, -1.0, -3.0]) == 0
