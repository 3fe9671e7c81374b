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


def test_normalised_weight_puts_full_strength_on_the_margins_scale():
    # strength 1, margin 2: (2 + 1) / (0.25 * ln 2) = 17.31 per nat of JSD
    assert rules.normalised_alpha(1.0, 2.0) == pytest.approx(3.0 / (0.25 * math.log(2)))
    assert rules.normalised_alpha(0.0, 2.0) == 0.0
    assert rules.normalised_alpha(0.5, 0.5) == pytest.approx(0.5 * 1.5 / (0.25 * math.log(2)))
    with pytest.raises(ValueError):
        rules.normalised_alpha(1.5, 2.0)


def test_normalised_rule_rejects_a_token_the_old_defaults_accept():
    best = math.log(0.5)
    token = best - 0.5  # 0.5 nats below the verifier's best
    divergence = 0.2  # nats; u = 0.2 / ln 2 = 0.289
    # old defaults: 0.5 + 1 * 0.2 = 0.7 <= 2, so it passes
    assert rules.constitutional_accepts(token, divergence, best, alpha=1.0, margin=2.0)
    # strength 1: penalty 3 * 0.289 / 0.25 = 3.46 nats, and 0.5 + 3.46 > 2
    assert not rules.normalised_accepts(token, divergence, best, strength=1.0, margin=2.0)
    # strength 0.3: penalty 1.04 nats, 0.5 + 1.04 <= 2 still passes
    assert rules.normalised_accepts(token, divergence, best, strength=0.3, margin=2.0)
    # strength 0 is the margin alone
    assert rules.normalised_accepts(token, 0.6, best, strength=0.0, margin=2.0)


def test_full_strength_rejects_even_the_verifiers_first_choice_once_divergence_reaches_a_quarter_of_its_maximum():
    best = math.log(0.9)
    at_rho = rules.RHO * math.log(2)  # JSD = 0.173 nats
    for margin in (0.0, 0.5, 2.0, 10.0):
        assert not rules.normalised_accepts(best, at_rho, best, strength=1.0, margin=margin)
        assert rules.normalised_accepts(best, 0.0, best, strength=1.0, margin=margin)
    # margin 2, strength 0.5: the first choice is rejected from u = 0.25 * 2 / (0.5 * 3) = 1/3
    third = math.log(2) / 3
    assert rules.normalised_accepts(best, third - 1e-3, best, strength=0.5, margin=2.0)
    assert not rules.normalised_accepts(best, third + 1e-3, best, strength=0.5, margin=2.0)


def test_settings_give_the_rules_weight():
    from biaskit.debias.settings import DebiasSettings
    from biaskit.errors import ConfigError

    assert DebiasSettings(rule="constitutional", alpha=3.0, fairness=1.0).divergence_weight == 3.0
    assert DebiasSettings(rule="normalised", margin=2.0, fairness=1.0).divergence_weight == pytest.approx(17.312, abs=1e-3)
    with pytest.raises(ConfigError, match="--fairness"):
        DebiasSettings(rule="normalised", fairness=2.0)
