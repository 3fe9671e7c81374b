"""Constitution-guided speculative decoding over a batch of prompts (transformers, explicit KV caches).

Per iteration, for every unfinished prompt at once:
1. the draft proposes a block of up to ``gamma`` greedy tokens (its own KV cache, one batched
   forward per token) and keeps its top-k candidates at each position;
2. the verifier scores the whole block in ONE batched forward pass, under the constitution prompt
   with the prompt x and, for the fairness term, with its counterfactual x';
3. the longest prefix that passes the selection rule (``rules.py``) is kept; at the first rejected
   position the draft's top-k candidates are re-ranked (for the constitutional rule this needs one
   more batched verifier pass, which scores every candidate's text under x and x').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from biaskit.debias import rules
from biaskit.debias._align import VerifierView, draft_pieces, refeed_limit
from biaskit.debias._lm import TextLM
from biaskit.debias.settings import DebiasSettings
from biaskit.debias.stats import PromptStats

EOS = None  # a candidate/proposal piece that ends the answer


@dataclass
class Proposal:
    """One draft position: the greedy token's text and the top-k alternatives (text, log q)."""

    piece: str | None
    candidates: list[tuple[str | None, float]]


@dataclass
class Row:
    """Decoding state of one prompt."""

    draft_prompt: list[int]
    verifier_prompt: list[int]
    counterfactual_prompt: list[int] | None
    text: str = ""
    finish_reason: str | None = None
    stats: PromptStats = field(default_factory=PromptStats)


class SpeculativeDecoder:
    """Decodes rows with a draft and a constitution-prompted verifier; see the module docstring."""

    def __init__(self, draft: TextLM, verifier: TextLM, settings: DebiasSettings) -> None:
        self.draft, self.verifier, self.settings = draft, verifier, settings

    def decode(self, rows: list[Row]) -> None:
        """Decode until every row stops (end of answer or ``max_tokens`` draft tokens)."""
        draft_kv = self.draft.rows(len(rows))
        verifier_kv = self.verifier.rows(2 * len(rows))  # row 2i: x, row 2i+1: x'
        while active := [i for i, r in enumerate(rows) if r.finish_reason is None]:
            proposals = self._propose(draft_kv, rows, active)
            views = self._score_block(verifier_kv, rows, active, proposals)
            decisions = {i: self._accept(rows[i], proposals[i], views[i]) for i in active}
            rejected = {i: j for i, (j, choice) in decisions.items() if j is not None and choice is None}
            choices = self._rerank(verifier_kv, rows, rejected, proposals, views) if rejected else {}
            for i in active:
                j, choice = decisions[i]
                self._commit(rows[i], proposals[i], j, choices.get(i, choice))

    def _propose(self, kv: Any, rows: list[Row], active: list[int]) -> dict[int, list[Proposal]]:
        k = self.settings.top_k
        gen = {i: self.draft.text_ids(rows[i].text)[0] for i in active}
        prompts: list[list[int] | None] = [None] * len(rows)
        budgets = [0] * len(rows)
        for i in active:
            prompts[i] = rows[i].draft_prompt + gen[i]
            budgets[i] = min(self.settings.gamma, self.settings.max_tokens - rows[i].stats.tokens)
        blocks = kv.greedy_block(prompts, budgets, k, self.draft.eos_ids)
        tokens = {i: blocks[i][0] for i in active}
        tops = {i: blocks[i][1] for i in active}
        for i in active:
            rows[i].stats.draft_forwards += len(tokens[i])
        proposals = {}
        for i in active:
            pieces = draft_pieces(self.draft, gen[i], [t for t in tokens[i] if t not in self.draft.eos_ids])
            out = []
            for pos, (ids, logq) in enumerate(tops[i]):
                prefix = gen[i] + tokens[i][:pos]
                cands = [(None if c in self.draft.eos_ids else draft_pieces(self.draft, prefix, [c])[0], lq) for c, lq in zip(ids, logq)]
                out.append(Proposal(pieces[pos] if pos < len(pieces) else EOS, cands))
            proposals[i] = out
        return proposals

    def _verifier_target(self, prompt: list[int], text: str) -> tuple[list[int], list[int], list[int]]:
        ids, ends = self.verifier.text_ids(text)
        return prompt + ids, ids, ends

    def _score_block(self, kv: Any, rows: list[Row], active: list[int], proposals: dict[int, list[Proposal]]):
        targets: list[list[int] | None] = [None] * (2 * len(rows))
        limits = [0] * (2 * len(rows))
        meta = {}
        for i in active:
            row = rows[i]
            block = "".join(p.piece for p in proposals[i] if p.piece is not None)
            for slot, prompt in ((2 * i, row.verifier_prompt), (2 * i + 1, row.counterfactual_prompt)):
                if prompt is None:
                    continue
                target, ids, ends = self._verifier_target(prompt, row.text + block)
                targets[slot], limits[slot] = target, refeed_limit(len(prompt), ends, len(row.text))
                meta[slot] = (len(prompt), ids, ends)
            row.stats.verifier_forwards += 1
        steps = kv.advance(targets, limits)
        views: dict[int, tuple[VerifierView, VerifierView | None]] = {}
        for i in active:
            x = VerifierView(*meta[2 * i], steps[2 * i])
            cf = VerifierView(*meta[2 * i + 1], steps[2 * i + 1]) if 2 * i + 1 in meta else None
            views[i] = (x, cf)
        return views

    def _eos_logprob(self, dist: torch.Tensor) -> float:
        ids = torch.tensor(sorted(self.verifier.eos_ids))
        return float(dist[ids].logsumexp(0)) if len(ids) else float("-inf")

    def _first_token(self, piece: str | None) -> int | None:
        if piece is None:
            return min(self.verifier.eos_ids) if self.verifier.eos_ids else None
        ids = self.verifier.text_ids(piece)[0]
        return ids[0] if ids else None

    def _accept(self, row: Row, block: list[Proposal], views: tuple[VerifierView, VerifierView | None]):
        """(index of the first rejected position or None, the reference rule's replacement there)."""
        x, cf = views
        start = len(row.text)
        alpha = self.settings.alpha if self.settings.rule == "reference" else self.settings.divergence_weight
        for j, proposal in enumerate(block):
            end = start + len(proposal.piece or "")
            before_x = x.dist_at(start)
            before_cf = cf.dist_at(start) if cf else before_x
            if self.settings.rule == "reference":
                scores = []
                for piece, logq in proposal.candidates:
                    tok = self._first_token(piece)
                    p = float(before_x[tok].exp()) if tok is not None else 0.0
                    q = float(before_cf[tok].exp()) if tok is not None else 0.0
                    scores.append(rules.reference_score(logq, p, q, alpha))
                if not rules.reference_accepts(scores, 0):
                    return j, proposal.candidates[rules.rerank(scores)]
            else:
                if proposal.piece is None:
                    lp, div = self._eos_logprob(before_x), float(rules.jsd(before_x, before_cf)) if cf else 0.0
                else:
                    lp = x.span_logprob(start, end)
                    div = float(rules.jsd(x.dist_at(end), cf.dist_at(end))) if cf else 0.0
                best = float(before_x.max())
                if not rules.constitutional_accepts(lp, div, best, alpha, self.settings.margin):
                    # counted: a rejection that only the fairness term caused
                    row.stats.fairness_rejected += int(rules.constitutional_accepts(lp, 0.0, best, 0.0, self.settings.margin))
                    return j, None
            start = end
        return None, None

    def _one_token(self, view: VerifierView, base: str, piece: str) -> float | None:
        """log p_v(piece) read off ``view`` when ``base + piece`` is ``base``'s verifier tokens plus
        exactly one token (and ``view`` splits ``base`` the same way), else None."""
        n = view.tokens_before(len(base))
        if (n and view.ends[n - 1] != len(base)) or (not n and base):
            return None
        ids = self.verifier.text_ids(base + piece)[0]
        if len(ids) != n + 1 or ids[:n] != view.ids[:n]:
            return None
        return float(view.dist_at(len(base))[ids[-1]])

    def _rerank(self, kv: Any, rows: list[Row], rejected: dict[int, int], proposals, views) -> dict[int, tuple]:
        """Score the draft's top-k candidates at each rejected position by text under x and x'."""
        probe_rows: list[int] = []
        targets: list[list[int]] = []
        limits: list[int] = []
        pending: list[tuple[int, int, int, int, list[int], list[int]]] = []  # row, candidate, side, prompt len, ids, ends
        direct: dict[tuple[int, int], float] = {}  # candidates scored from the block's own pass
        for i, j in rejected.items():
            row = rows[i]
            base = row.text + "".join(p.piece or "" for p in proposals[i][:j])
            # Without a fairness term only log p_v(c) counts, which the block's pass already holds
            # for a candidate that is one verifier token at a token boundary: no forward needed.
            penalised = row.counterfactual_prompt is not None and self.settings.divergence_weight > 0
            probed = False
            for c, (piece, _) in enumerate(proposals[i][j].candidates):
                if not piece:
                    continue
                if not penalised and (lp := self._one_token(views[i][0], base, piece)) is not None:
                    direct[(i, c)] = lp
                    continue
                probed = True
                for slot, prompt in ((2 * i, row.verifier_prompt), (2 * i + 1, row.counterfactual_prompt)):
                    if prompt is not None:
                        target, ids, ends = self._verifier_target(prompt, base + piece)
                        probe_rows.append(slot)
                        targets.append(target)
                        limits.append(refeed_limit(len(prompt), ends, len(base)))
                        pending.append((i, c, slot % 2, len(prompt), ids, ends))
            row.stats.verifier_forwards += int(probed)
        steps = kv.probe(probe_rows, targets, limits) if probe_rows else []
        scored: dict[tuple[int, int], dict[int, VerifierView]] = {}
        for (i, c, side, prompt_len, ids, ends), step in zip(pending, steps):
            scored.setdefault((i, c), {})[side] = VerifierView(prompt_len, ids, ends, step)
        choices = {}
        for i, j in rejected.items():
            row, block = rows[i], proposals[i]
            base_len = len(row.text) + sum(len(p.piece or "") for p in block[:j])
            x, cf = views[i]
            scores = []
            for c, (piece, _) in enumerate(block[j].candidates):
                if piece is None:
                    before_x = x.dist_at(base_len)
                    div = float(rules.jsd(before_x, cf.dist_at(base_len))) if cf else 0.0
                    scores.append(rules.constitutional_score(self._eos_logprob(before_x), div, self.settings.divergence_weight))
                    continue
                if not piece:  # a token with no text of its own (partial character, special token)
                    scores.append(float("-inf"))
                    continue
                if (i, c) in direct:
                    scores.append(rules.constitutional_score(direct[(i, c)], 0.0, self.settings.divergence_weight))
                    continue
                vx, vcf = scored[(i, c)][0], scored[(i, c)].get(1)
                end = base_len + len(piece)
                div = float(rules.jsd(vx.dist_at(end), vcf.dist_at(end))) if vcf else 0.0
                scores.append(rules.constitutional_score(vx.span_logprob(base_len, end), div, self.settings.divergence_weight))
            choices[i] = block[j].candidates[rules.rerank(scores)]
        return choices

    def _commit(self, row: Row, block: list[Proposal], rejected_at: int | None, choice: tuple | None) -> None:
        kept = block if rejected_at is None else block[:rejected_at]
        pieces = [p.piece for p in kept]
        row.stats.proposed += len(block)
        row.stats.accepted += len(kept)
        if rejected_at is not None and choice is not None:
            pieces.append(choice[0])
            row.stats.reranked += 1
        for piece in pieces:
            row.stats.tokens += 1
            if piece is None:
                row.finish_reason = "stop"
                return
            row.text += piece
        if row.stats.tokens >= self.settings.max_tokens:
            row.finish_reason = "length"
