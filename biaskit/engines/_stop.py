"""The one rule for where an answer ends, shared by every engine and the debias loops.

An answer ends at the model's end-of-sequence token (generation config and tokenizer) and at the
end-of-turn marker of common chat templates: a chat model that closes its turn has finished its
answer, and what a base decoder would write after the marker (the next turn, the template's
scaffolding) is not part of it. Gemma's generation config, for one, names only ``<eos>``, while
its chat turns end with ``<end_of_turn>``.
"""

from __future__ import annotations

from typing import Any

END_OF_TURN_MARKERS = ("<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>")


def stop_token_ids(generation_config: Any, tokenizer: Any) -> frozenset[int]:
    """Every token id that ends an answer for this model (see the module docstring)."""
    ids: set[int] = set()
    for source in (getattr(generation_config, "eos_token_id", None), tokenizer.eos_token_id):
        if isinstance(source, int):
            ids.add(source)
        elif source:
            ids.update(source)
    for marker in END_OF_TURN_MARKERS:
        token_id = tokenizer.convert_tokens_to_ids(marker)
        if isinstance(token_id, int) and token_id != tokenizer.unk_token_id and token_id >= 0:
            ids.add(token_id)
    return frozenset(ids)


def saved_generation_config(path: str) -> Any:
    """The generation config stored with a checkpoint, None where it has none."""
    from transformers import GenerationConfig

    try:
        return GenerationConfig.from_pretrained(path)
    except (OSError, ValueError):
        return None
