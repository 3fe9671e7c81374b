"""Fitting a steering vector: contrastive pairs from CLEAR-Bias, a seeded split, mean activation differences.

Two kinds of pair, both from the base prompts' own stereotype / counter-stereotype columns:

* ``answer``: the prompt as a chat turn, answered once with the stereotyped option and once with the
  counter-stereotyped one (CTO: "(B): The Black friend"; SC: "WHITE");
* ``sentence``: an SC prompt's sentence completed with each option, as plain text: the stereotyped
  sentence and its identity-swapped counterfactual.

For a pair, each block's output is averaged over the positions after the two texts' shared prefix,
and the pair's difference is counter-stereotype minus stereotype. The vector of a block is the mean
difference over pairs. The default layer is the middle-half block whose pair differences agree
most with their mean (mean cosine), i.e. where the contrast is most consistently one direction.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from biaskit.debias.steer._hook import capture
from biaskit.debias.steer._vector import FitSplit, Provenance, SteeringVector
from biaskit.engines._chat import chat_token_ids
from biaskit.errors import ConfigError
from biaskit.suites.clear_bias import ClearBiasItem

PAIR_KINDS = ("answer", "sentence")
_BLANK = re.compile(r"_{2,}")
_SC_SENTENCE = re.compile(r"options?:[^.]*\.\s*(.+)$", re.IGNORECASE | re.DOTALL)


def split_items(items: Sequence[ClearBiasItem], fit_share: float, seed: int) -> tuple[list[ClearBiasItem], list[ClearBiasItem]]:
    """Split by prompt id into (fit, held out): in each (task, category) cell, the ``fit_share`` of its
    prompts that come first in a seeded hash order. The same seed gives the same split everywhere."""
    if not 0.0 < fit_share < 1.0:
        raise ConfigError(f"fit share {fit_share!r} is out of range: expected a number between 0 and 1 (exclusive)")
    cells: dict[tuple[str, str], list[ClearBiasItem]] = {}
    for item in items:
        cells.setdefault((item.task, item.category), []).append(item)
    fit_ids: set[str] = set()
    for cell in cells.values():
        ordered = sorted(cell, key=lambda i: hashlib.sha256(f"{seed}:{i.id}".encode()).hexdigest())
        fit_ids.update(i.id for i in ordered[: max(1, round(fit_share * len(cell)))] if len(cell) > 1)
    return [i for i in items if i.id in fit_ids], [i for i in items if i.id not in fit_ids]


def _answer_text(item: ClearBiasItem, option: str) -> str:
    if item.task == "CTO" and len(item.options) == 2 and option in item.options:
        return f"({'AB'[item.options.index(option)]}): {option}"
    return option


def contrast_texts(item: ClearBiasItem, kinds: Sequence[str] = PAIR_KINDS) -> list[tuple[Any, Any]]:
    """(stereotype, counter-stereotype) pairs of one item: chat answers as (request, answer), sentences as str."""
    pairs: list[tuple[Any, Any]] = []
    if "answer" in kinds:
        request = item.request()
        pairs.append(((request, _answer_text(item, item.stereotype)), (request, _answer_text(item, item.counter_stereotype))))
    sentence = _SC_SENTENCE.search(item.prompt) if item.task == "SC" else None
    if "sentence" in kinds and sentence and _BLANK.search(sentence.group(1)):
        fill = [_BLANK.sub(o.lower(), sentence.group(1).strip(), count=1) for o in (item.stereotype, item.counter_stereotype)]
        pairs.append((fill[0], fill[1]))
    return pairs


def _ids(tokenizer: Any, text: Any) -> list[int]:
    if isinstance(text, str):
        return list(tokenizer(text, add_special_tokens=True)["input_ids"])
    request, answer = text
    return chat_token_ids(tokenizer, request) + list(tokenizer(answer, add_special_tokens=False)["input_ids"])


def _block_means(model: Any, rows: Sequence[tuple[list[int], int]], pad: int) -> np.ndarray:
    """For each (ids, start) row: every block's output averaged over positions ``start``.. and, last, its
    mean norm there (rows x layers x hidden+1). Rows are right-padded into one forward pass."""
    device = next(model.parameters()).device
    width = max(len(ids) for ids, _ in rows)
    ids = torch.tensor([r + [pad] * (width - len(r)) for r, _ in rows], device=device)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r, _ in rows], device=device)
    with torch.inference_mode(), capture(model) as seen:
        model(input_ids=ids, attention_mask=mask)
    out = []
    for row, (tokens, start) in enumerate(rows):
        tail = torch.stack([h[row, start : len(tokens)].float() for h in seen])  # type: ignore[index]
        out.append(torch.cat([tail.mean(1), tail.norm(dim=-1).mean(1, keepdim=True)], dim=1).cpu().numpy())
    return np.stack(out)


def fit_vector(
    engine: Any,
    fit: Sequence[ClearBiasItem],
    held_out: Sequence[ClearBiasItem],
    seed: int,
    fit_share: float,
    kinds: Sequence[str] = PAIR_KINDS,
    layer: int | None = None,
    batch_size: int = 16,
) -> SteeringVector:
    """Fit a steering vector on the ``fit`` items with the model of an hf ``engine`` (``.model``, ``.tokenizer``, ``.resolved``)."""
    from biaskit._version import __version__
    from biaskit.engines.models import model_fingerprint

    unknown = [k for k in kinds if k not in PAIR_KINDS]
    if unknown or not kinds:
        raise ConfigError(f"pair kinds {list(kinds)!r}: expected one or more of {', '.join(PAIR_KINDS)}")
    model, tokenizer = engine.model, engine.tokenizer
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    rows: list[tuple[list[int], int]] = []
    for item in fit:
        for negative, positive in contrast_texts(item, kinds):
            neg, pos = _ids(tokenizer, negative), _ids(tokenizer, positive)
            start = next((n for n, (a, b) in enumerate(zip(neg, pos)) if a != b), min(len(neg), len(pos)) - 1)
            rows += [(neg, start), (pos, start)]
    means = [_block_means(model, rows[first : first + batch_size], pad) for first in range(0, len(rows), batch_size)]
    both = np.concatenate(means) if means else np.zeros((0, 0, 0))
    diffs = list(both[1::2, :, :-1] - both[0::2, :, :-1])
    norms = list((both[0::2, :, -1] + both[1::2, :, -1]) / 2)
    if not diffs:
        raise ConfigError(f"no contrastive pairs in the {len(fit)} fitting prompts (pair kinds {', '.join(kinds)})")
    stacked = np.stack(diffs)  # pairs x layers x hidden
    vectors = stacked.mean(0)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)
    cosine = (np.einsum("plh,lh->pl", stacked, unit) / np.maximum(np.linalg.norm(stacked, axis=-1), 1e-12)).mean(0)
    count = len(vectors)
    middle = range(count // 4, max(count // 4 + 1, (3 * count) // 4))
    chosen = layer if layer is not None else max(middle, key=lambda l: cosine[l])
    provenance = Provenance(
        model=engine.resolved.spec, model_path=engine.resolved.path, model_fingerprint=model_fingerprint(engine.resolved),
        hidden_size=vectors.shape[1], layers=count, default_layer=int(chosen) % count, pairs=len(diffs), pair_kinds=list(kinds),
        consistency=[round(float(c), 4) for c in cosine],
        split=FitSplit(seed=seed, fit_share=fit_share, fit_ids=[i.id for i in fit], held_out_ids=[i.id for i in held_out]),
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), biaskit_version=__version__,
    )  # fmt: skip
    return SteeringVector(vectors=vectors.astype(np.float32), scales=np.stack(norms).mean(0).astype(np.float32), provenance=provenance)
