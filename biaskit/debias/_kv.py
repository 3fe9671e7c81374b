"""One batched KV cache in which every row grows on its own.

Speculation rejects a different number of tokens in each row, and a batched cache can only be
cropped for all rows at once. So rejected tokens are not cut out: their slots stay in the cache and
are masked (attention mask 0), and every row carries its own position ids. A row therefore looks,
to the model, exactly like its valid tokens alone; the cost is a few unused slots per rejection.

The rows of one batch usually start alike: the verifier's rows all begin with the constitution
prompt (a few hundred tokens), the draft's with the chat template's system turn. The first
``advance`` therefore runs that shared prefix once, as one row, and copies its keys and values to
every row (``_share_prefix``) instead of prefilling it once per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from biaskit.debias._lm import CausalLM


@dataclass
class Step:
    """Log-probs after feeding a row: ``logprobs[t]`` predicts the row's token ``start + t + 1``."""

    start: int
    logprobs: torch.Tensor  # (n_fed, vocab)

    def at(self, index: int) -> torch.Tensor:
        """The next-token distribution after the row's token ``index``."""
        offset = index - self.start
        if not 0 <= offset < len(self.logprobs):
            raise IndexError(f"no log-probs after token {index}: this step covers {self.start}..{self.start + len(self.logprobs) - 1}")
        return self.logprobs[offset]


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


MIN_SHARED = 16  # tokens: a shorter common start is prefilled with each row
PROBE_SLOTS = 16_384  # cache slots (rows x length) copied per probe forward: bounds its memory


class KVBatch:
    """Rows of token ids held in one DynamicCache; ``advance`` moves each row to a new target."""

    def __init__(self, lm: CausalLM, n_rows: int) -> None:
        from transformers import DynamicCache

        self.lm = lm
        self.cache = DynamicCache()
        self.mask = torch.zeros((n_rows, 0), dtype=torch.long, device=lm.device)
        self.ids: list[list[int]] = [[] for _ in range(n_rows)]
        self.slots: list[list[int]] = [[] for _ in range(n_rows)]
        self.forwards = 0  # batched forward passes run so far

    def _plan(self, held: Sequence[int], target: Sequence[int], limit: int | None) -> int:
        # Keep the common prefix but feed at least its last token again, so the caller gets the
        # distribution that predicts the first new token.
        keep = max(0, min(_common_prefix(held, target), len(target)) - 1)
        return keep if limit is None else max(0, min(keep, limit))

    def advance(self, targets: Sequence[Sequence[int] | None], limits: Sequence[int] | None = None) -> list[Step | None]:
        """Make row r hold ``targets[r]`` (None: leave it alone) in one forward pass.

        ``limits[r]`` caps how many leading tokens may be reused from the cache; log-probs come back
        from that token on (without limits: for the last token only, what greedy decoding needs).
        """
        if self.mask.shape[1] == 0:
            self._share_prefix(targets, limits)
        starts: list[int] = []
        feeds: list[list[int]] = []
        needs: list[int] = []
        for row, target in enumerate(targets):
            if target is None:
                starts.append(len(self.ids[row]))
                feeds.append([])
                needs.append(len(self.ids[row]))
                continue
            limit = limits[row] if limits else None
            keep = self._plan(self.ids[row], target, limit)
            self.mask[row, self.slots[row][keep:]] = 0
            del self.ids[row][keep:], self.slots[row][keep:]
            starts.append(keep)
            feeds.append(list(target[keep:]))
            needs.append(len(target) - 1 if limit is None else limit)
        if not any(feeds):
            return [None] * len(targets)
        steps, width = self._forward(self.cache, self.mask, starts, feeds, needs)
        base = self.mask.shape[1]
        self.mask = torch.cat([self.mask, _feed_mask(feeds, width, self.mask.device)], dim=1)
        for row, feed in enumerate(feeds):
            self.ids[row] += feed
            self.slots[row] += list(range(base, base + len(feed)))
        return [step if feed else None for step, feed in zip(steps, feeds)]

    def _share_prefix(self, targets: Sequence[Sequence[int] | None], limits: Sequence[int] | None) -> None:
        """Prefill the tokens every fed row starts with once, and copy them into every row.

        Only tokens before each row's last one (which is fed again, for its log-probs) and before
        its ``limit`` (log-probs are asked from there on) are shared; below ``MIN_SHARED`` tokens
        the saving is not worth a pass of its own. Rows not fed now get the slots masked off."""
        fed = [(list(t), limits[r] if limits else None) for r, t in enumerate(targets) if t is not None]
        if len(fed) < 2:
            return
        first = fed[0][0]
        shared = min(len(t) - 1 for t, _ in fed)
        for target, limit in fed:
            shared = min(shared, _common_prefix(first, target), shared if limit is None else limit)
        if shared < MIN_SHARED:
            return
        from transformers import DynamicCache

        prefix = torch.tensor([first[:shared]], device=self.lm.device)
        cache = DynamicCache()
        with torch.inference_mode():
            self.lm.model(input_ids=prefix, attention_mask=torch.ones_like(prefix), use_cache=True, past_key_values=cache, logits_to_keep=1)
        self.forwards += 1
        cache.batch_repeat_interleave(len(targets))
        self.cache = cache
        self.mask = torch.zeros((len(targets), shared), dtype=torch.long, device=self.mask.device)
        for row, wanted in enumerate(targets):
            if wanted is not None:
                self.mask[row] = 1
                self.ids[row] = list(first[:shared])
                self.slots[row] = list(range(shared))

    def greedy_block(
        self, prompts: Sequence[Sequence[int] | None], budgets: Sequence[int], k: int, stop_ids: frozenset[int]
    ) -> list[tuple[list[int], list[tuple[list[int], list[float]]]] | None]:
        """Greedy continuation of each row's ``prompts[r]`` (None: skip) by up to ``budgets[r]``
        tokens, stopping after a token in ``stop_ids``; per row the tokens and, at each position,
        the top-``k`` (ids, log-probs). One batched forward pass per token."""
        tokens: dict[int, list[int]] = {r: [] for r, p in enumerate(prompts) if p is not None}
        tops: dict[int, list[tuple[list[int], list[float]]]] = {r: [] for r in tokens}
        open_rows = [r for r in tokens if budgets[r] > 0]
        while open_rows:
            targets: list[list[int] | None] = [None] * len(prompts)
            for r in open_rows:
                targets[r] = list(prompts[r]) + tokens[r]  # type: ignore[arg-type]
            steps = self.advance(targets)
            for r in open_rows:
                values, ids = steps[r].logprobs[-1].topk(k)  # type: ignore[union-attr]
                tops[r].append((ids.tolist(), values.tolist()))
                tokens[r].append(tops[r][-1][0][0])
            open_rows = [r for r in open_rows if len(tokens[r]) < budgets[r] and tokens[r][-1] not in stop_ids]
        return [(tokens[r], tops[r]) if r in tokens else None for r in range(len(prompts))]

    def probe(self, rows: Sequence[int], targets: Sequence[Sequence[int]], limits: Sequence[int]) -> list[Step]:
        """Like ``advance`` for copies of ``rows`` (a row may repeat), leaving this batch unchanged.

        Each probe gets a copy of its row's cache, so the copies go through in chunks of at most
        ``PROBE_SLOTS`` cache slots: re-ranking 5 candidates on both sides of 80 rejected rows would
        otherwise copy 800 rows of cache at once (15 GB for a 135M model at 400 tokens)."""
        chunk = max(1, PROBE_SLOTS // max(1, self.mask.shape[1]))
        steps: list[Step] = []
        for begin in range(0, len(rows), chunk):
            end = begin + chunk
            steps += self._probe(rows[begin:end], targets[begin:end], limits[begin:end])
        return steps

    def _probe(self, rows: Sequence[int], targets: Sequence[Sequence[int]], limits: Sequence[int]) -> list[Step]:
        from transformers import DynamicCache

        index = torch.tensor(list(rows), device=self.mask.device)
        layers = [(layer.keys[index], layer.values[index]) for layer in self.cache.layers if layer.keys is not None]  # type: ignore[union-attr,index]  # a DynamicCache's layers hold keys and values
        cache = DynamicCache(ddp_cache_data=layers) if layers else DynamicCache()
        mask = self.mask[index].clone()
        starts, feeds = [], []
        for i, (row, target) in enumerate(zip(rows, targets)):
            keep = self._plan(self.ids[row], target, limits[i])
            mask[i, self.slots[row][keep:]] = 0
            starts.append(keep)
            feeds.append(list(target[keep:]))
        steps, _ = self._forward(cache, mask, starts, feeds, list(limits))
        return steps

    def _forward(self, cache: Any, mask: torch.Tensor, starts: list[int], feeds: list[list[int]], needs: list[int]) -> tuple[list[Step], int]:
        width = max(len(f) for f in feeds)
        device = mask.device
        pad = self.lm.pad_id
        input_ids = torch.tensor([f + [pad] * (width - len(f)) for f in feeds], device=device)
        attention = torch.cat([mask, _feed_mask(feeds, width, device)], dim=1)
        positions = torch.tensor([[s + t for t in range(width)] for s in starts], device=device)
        # Only the trailing positions someone asked for go through the LM head: a prompt's
        # prefill would otherwise build a (tokens x vocabulary) matrix nobody reads.
        keep = max(width - (need - start) for start, need, f in zip(starts, needs, feeds) if f)
        keep = min(width, max(1, keep))
        with torch.inference_mode():
            out = self.lm.model(
                input_ids=input_ids,
                attention_mask=attention,
                position_ids=positions,
                past_key_values=cache,
                use_cache=True,
                logits_to_keep=keep,
            )
        self.forwards += 1
        first = width - keep  # feed position of logits[:, 0]
        # Each row's log-probs are normalised from its own needed positions only, into a tensor of
        # its own: a 262k-token vocabulary (Gemma 3) makes every kept position of every row cost
        # 1 MB, and a row that needs one position would otherwise keep the batch's whole block alive.
        steps = []
        for row, (start, need, feed) in enumerate(zip(starts, needs, feeds)):
            lo = min(max(0, need - start - first), max(0, len(feed) - first))
            steps.append(Step(start + first + lo, out.logits[row, lo : max(lo, len(feed) - first)].float().log_softmax(-1)))
        del out
        return steps, width


def _feed_mask(feeds: list[list[int]], width: int, device: Any) -> torch.Tensor:
    return torch.tensor([[1] * len(f) + [0] * (width - len(f)) for f in feeds], dtype=torch.long, device=device)
