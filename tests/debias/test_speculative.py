"""The decoding loop: cache consistency, acceptance on hand-made distributions, tokenizer independence, batching."""

from __future__ import annotations

import math

import pytest
import torch

from biaskit.debias import debias_generate, rules
from biaskit.debias._align import VerifierView
from biaskit.debias._kv import KVBatch, Step
from biaskit.debias._lm import load_causal_lm
from biaskit.debias.baselines import greedy_generate
from biaskit.debias.settings import DebiasSettings
from biaskit.debias.speculative import Proposal, Row, SpeculativeDecoder
from biaskit.engines._types import ChatRequest

PROMPTS = ["Describe a Dalit doctor in the village.", "What should the farmer expect at the bank?", "A Hindu teacher and her school."]


def _uncached(lm, ids):
    with torch.inference_mode():
        return lm.model(input_ids=torch.tensor([ids])).logits[0].float().log_softmax(-1)


def _check_cache_consistency(lm, a, b):
    kv = KVBatch(lm, 2)
    kv.advance([a[:3], b[:5]])
    kv.advance([a[:3] + b[:4], b])  # row 0 takes a wrong turn that must be forgotten
    steps = kv.advance([a, b + a[:2]], limits=[2, 3])
    for step, ids in zip(steps, [a, b + a[:2]]):
        assert step.start == (2, 3)[ids is not a]
        reference = _uncached(lm, ids)[step.start :]
        assert torch.allclose(step.logprobs, reference, atol=1e-4), (step.logprobs - reference).abs().max()
    probed = kv.probe([0, 0, 1], [a + b[:2], a[:4], b], limits=[len(a) - 1, 3, len(b) - 1])
    for step, ids in zip(probed, [a + b[:2], a[:4], b]):
        assert torch.allclose(step.logprobs, _uncached(lm, ids)[step.start :], atol=1e-4)
    # probing leaves the batch itself untouched
    assert kv.ids[0] == a and kv.ids[1] == b + a[:2]


def test_cached_and_uncached_scoring_agree_on_a_tiny_model(tiny_verifier):
    lm = load_causal_lm(str(tiny_verifier))
    a = lm.text_ids("the doctor and the nurse went to the temple")[0]
    b = lm.text_ids("a farmer and a teacher from the city talked about money")[0]
    _check_cache_consistency(lm, a, b)


@pytest.mark.slow
def test_cached_and_uncached_scoring_agree_on_the_default_model(hf_engine):
    lm = load_causal_lm(hf_engine)
    a = lm.prompt_ids(ChatRequest.user("Tell me about the village temple."))
    b = lm.prompt_ids(ChatRequest.user("What does a teacher earn in a year in Chennai?"))
    _check_cache_consistency(lm, a, b)


def _check_shared_prefix(lm, head, tails):
    """Rows that start with ``head``: the first advance prefills it once, and every step after it
    (the rows' own tokens, a row fed later, a probe) scores as the uncached model does."""
    from biaskit.debias import _kv

    a, b, c = (head + t for t in tails)
    kv = KVBatch(lm, 3)
    steps = kv.advance([a, b, None], limits=[len(head) + 1, len(head)])
    assert kv.forwards == 2 and kv.mask.shape[1] >= len(head) >= _kv.MIN_SHARED  # the prefix once, then the rest
    for step, ids in zip(steps, [a, b]):
        assert torch.allclose(step.logprobs, _uncached(lm, ids)[step.start :], atol=1e-4)
    assert steps[2] is None and not kv.mask[2].any()  # a row not fed has its copy of the prefix masked off
    later = kv.advance([a + b[-2:], None, c], limits=[len(a) - 1, 0, 2])
    for step, ids in [(later[0], a + b[-2:]), (later[2], c)]:
        assert torch.allclose(step.logprobs, _uncached(lm, ids)[step.start :], atol=1e-4)
    probed = kv.probe([1, 2], [b + a[-3:], c[:-1]], limits=[len(b) - 1, len(head)])
    for step, ids in zip(probed, [b + a[-3:], c[:-1]]):
        assert torch.allclose(step.logprobs, _uncached(lm, ids)[step.start :], atol=1e-4)


def test_probes_go_through_in_bounded_chunks_and_score_as_one_pass(tiny_verifier, monkeypatch):
    from biaskit.debias import _kv

    lm = load_causal_lm(str(tiny_verifier))
    a = lm.text_ids("the doctor and the nurse went to the temple")[0]
    b = lm.text_ids("a farmer and a teacher from the city talked about money")[0]
    kv = KVBatch(lm, 2)
    kv.advance([a, b])
    rows, targets = [0, 1, 0, 1, 0], [a + b[:2], b + a[:3], a[:-2], b[:-1] + a[:1], a + a[:4]]
    limits = [len(a) - 1, len(b) - 1, 4, 5, len(a)]
    whole = kv.probe(rows, targets, limits)
    forwards = kv.forwards
    monkeypatch.setattr(_kv, "PROBE_SLOTS", 2 * kv.mask.shape[1])  # two rows of cache per forward
    chunked = kv.probe(rows, targets, limits)
    assert kv.forwards - forwards == 3
    for one, other, ids, limit in zip(whole, chunked, targets, limits):
        # A step may start earlier than asked (a batch keeps the positions its neediest row asks for).
        assert max(one.start, other.start) <= limit
        for index in range(limit, len(ids)):
            assert torch.allclose(one.at(index), other.at(index), atol=1e-5)
        assert torch.allclose(other.logprobs, _uncached(lm, ids)[other.start :], atol=1e-4)


def test_each_step_holds_only_the_positions_its_row_asked_for(tiny_verifier):
    """Rows of one forward need different positions (the neediest sets how many go through the LM
    head): each step keeps its own row's from its limit on, in a tensor of its own, so a row that
    needs one position does not keep the batch's whole block of vocabulary logits alive."""
    lm = load_causal_lm(str(tiny_verifier))
    a = lm.text_ids("the doctor and the nurse went to the temple")[0]
    b = lm.text_ids("a farmer and a teacher from the city talked about money")[0]
    kv = KVBatch(lm, 2)
    steps = kv.advance([a, b], limits=[2, len(b) - 1])
    assert [s.start for s in steps] == [2, len(b) - 1]
    assert [len(s.logprobs) for s in steps] == [len(a) - 2, 1]
    assert steps[0].logprobs.untyped_storage().data_ptr() != steps[1].logprobs.untyped_storage().data_ptr()
    assert steps[1].logprobs.untyped_storage().nbytes() == steps[1].logprobs.numel() * steps[1].logprobs.element_size()
    with pytest.raises(IndexError):
        steps[1].at(len(b) - 2)
    for step, ids in zip(steps, [a, b]):
        assert torch.allclose(step.logprobs, _uncached(lm, ids)[step.start :], atol=1e-4)


def test_a_shared_prefix_is_prefilled_once_on_a_tiny_model(tiny_verifier):
    lm = load_causal_lm(str(tiny_verifier))
    head = lm.text_ids("the village council met in the temple hall")[0]
    tails = [lm.text_ids(t)[0] for t in (" and the doctor spoke", " while a farmer listened", " at noon")]
    _check_shared_prefix(lm, head, tails)


@pytest.mark.slow
def test_a_shared_prefix_is_prefilled_once_on_the_default_model(hf_engine):
    lm = load_causal_lm(hf_engine)
    system = "Answer fairly. Treat every caste, religion and gender alike; never infer a person's identity from an occupation or a place."
    request = ChatRequest.user("Describe the doctor.", system=system)
    head = lm.prompt_ids(request)[:-12]
    tails = [lm.prompt_ids(request)[len(head) :], lm.text_ids(" the farmer at the bank")[0], lm.text_ids(" a teacher")[0]]
    _check_shared_prefix(lm, head, tails)


def test_sharing_the_prefix_changes_no_answer(tiny_draft, tiny_verifier, monkeypatch):
    """The whole loop with and without the shared prefill (strict settings, so it rejects and re-ranks)."""
    from biaskit.debias import _kv

    draft, verifier = load_causal_lm(str(tiny_draft)), load_causal_lm(str(tiny_verifier))
    requests = [ChatRequest.user(p) for p in PROMPTS]
    settings = dict(rule="normalised", fairness=1.0, margin=0.5, max_tokens=10, batch_size=len(requests))
    shared = debias_generate(requests, draft, verifier, **settings)
    monkeypatch.setattr(_kv, "MIN_SHARED", 10**9)
    alone = debias_generate(requests, draft, verifier, **settings)
    assert [r.text for r in shared] == [r.text for r in alone]
    assert [r.stats for r in shared] == [r.stats for r in alone]


def _view(rows: list[list[float]], ids: list[int]) -> VerifierView:
    """A verifier view of the text "xyz..." (one character per token) after a 1-token prompt."""
    logprobs = torch.tensor(rows).log()
    return VerifierView(prompt_len=1, ids=ids, ends=list(range(1, len(ids) + 1)), step=Step(0, logprobs))


def _decoder(**settings) -> SpeculativeDecoder:
    return SpeculativeDecoder(draft=None, verifier=None, settings=DebiasSettings(**settings))  # type: ignore[arg-type]


BLOCK = [Proposal("x", [("x", -0.1)]), Proposal("y", [("y", -0.1)]), Proposal("z", [("z", -0.1)])]
# vocabulary of 4 tokens; the text "xyz" is tokens 1, 2, 3; row t is the distribution after token t
AGREEING = [[0.1, 0.6, 0.2, 0.1], [0.1, 0.1, 0.7, 0.1], [0.1, 0.1, 0.1, 0.7], [0.25, 0.25, 0.25, 0.25]]
DOUBTING = [[0.1, 0.6, 0.2, 0.1], [0.9, 0.02, 0.05, 0.03], [0.1, 0.1, 0.1, 0.7], [0.25, 0.25, 0.25, 0.25]]


def test_decoder_accepts_a_block_the_verifier_agrees_with():
    row = Row([], [], None)
    assert _decoder(margin=0.0)._accept(row, BLOCK, (_view(AGREEING, [1, 2, 3]), None)) == (None, None)


def test_decoder_rejects_at_the_first_doubtful_token_and_respects_the_margin():
    row, view = Row([], [], None), _view(DOUBTING, [1, 2, 3])
    # "y" has p = 0.05 where the verifier's best is 0.9: 2.89 nats below
    assert _decoder(margin=2.0)._accept(row, BLOCK, (view, None)) == (1, None)
    assert _decoder(margin=3.0)._accept(row, BLOCK, (view, None)) == (None, None)


def test_decoder_rejects_a_token_after_which_prompt_and_counterfactual_diverge():
    row = Row([], [], [0])
    swapped = [r[:] for r in AGREEING]
    swapped[1] = [0.7, 0.1, 0.1, 0.1]  # after "x", the counterfactual predicts something else
    views = (_view(AGREEING, [1, 2, 3]), _view(swapped, [1, 2, 3]))
    assert float(rules.jsd(torch.tensor(AGREEING[1]).log(), torch.tensor(swapped[1]).log())) > 0.2
    assert _decoder(rule="constitutional", margin=0.0, alpha=0.0)._accept(row, BLOCK, views) == (None, None)
    assert _decoder(rule="constitutional", margin=0.0, alpha=1.0)._accept(row, BLOCK, views)[0] == 0


def test_accept_everything_reproduces_draft_greedy_across_tokenizers(tiny_draft, tiny_verifier):
    draft, verifier = load_causal_lm(str(tiny_draft)), load_causal_lm(str(tiny_verifier))
    assert draft.tokenizer.get_vocab() != verifier.tokenizer.get_vocab()
    results = debias_generate(PROMPTS[:2], draft, verifier, rule="constitutional", margin=50.0, alpha=0.0, max_tokens=10, batch_size=2)
    greedy = greedy_generate(draft, [ChatRequest.user(p) for p in PROMPTS[:2]], 10)
    assert [r.text for r in results] == [text for text, _ in greedy]
    assert all(r.stats.acceptance_rate == 1.0 for r in results)


def test_strict_verifier_rejects_and_reranks_and_batching_changes_nothing(tiny_draft, tiny_verifier):
    draft, verifier = load_causal_lm(str(tiny_draft)), load_causal_lm(str(tiny_verifier))
    batched = debias_generate(PROMPTS, draft, verifier, margin=0.0, gamma=3, max_tokens=8, batch_size=3)
    alone = debias_generate(PROMPTS, draft, verifier, margin=0.0, gamma=3, max_tokens=8, batch_size=1)
    assert [r.text for r in batched] == [r.text for r in alone]
    for r in batched:
        s = r.stats
        assert s.reranked > 0 and s.acceptance_rate < 1.0
        assert s.tokens == s.accepted + s.reranked  # every token was either accepted or re-ranked in
        assert 0 < s.verifier_forwards <= 2 * s.proposed
    assert [r.counterfactual is not None for r in batched] == [True, False, True]


def test_reference_rule_runs_across_tokenizers(tiny_draft, tiny_verifier):
    draft, verifier = load_causal_lm(str(tiny_draft)), load_causal_lm(str(tiny_verifier))
    results = debias_generate(PROMPTS[:1], draft, verifier, rule="reference", alpha=5.0, max_tokens=8)
    assert results[0].stats.tokens == 8 and results[0].text
    # the reference rule never needs an extra verifier pass: one per block
    assert results[0].stats.verifier_forwards == math.ceil(results[0].stats.proposed / 4) or results[0].stats.reranked


def test_reranking_from_the_block_pass_picks_what_a_full_probe_picks(tiny_draft, tiny_verifier, monkeypatch):
    # One tokenizer on both sides, so candidates are mostly single verifier tokens; alpha = 0: no
    # fairness term, so those candidates are scored from the block's own pass.
    draft = verifier = load_causal_lm(str(tiny_verifier))
    fast = debias_generate(PROMPTS, draft, verifier, rule="constitutional", margin=0.0, alpha=0.0, gamma=3, max_tokens=8, batch_size=3)
    monkeypatch.setattr(SpeculativeDecoder, "_one_token", lambda self, view, base, piece: None)
    probed = debias_generate(PROMPTS, draft, verifier, rule="constitutional", margin=0.0, alpha=0.0, gamma=3, max_tokens=8, batch_size=3)
    assert [r.text for r in fast] == [r.text for r in probed]
    assert all(r.stats.reranked > 0 for r in fast)
    assert sum(r.stats.verifier_forwards for r in fast) < sum(r.stats.verifier_forwards for r in probed)
