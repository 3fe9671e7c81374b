"""Where steering acts: the decoder layers of a transformers causal LM, and a forward hook on one.

The hook adds a fixed vector to the output of one decoder layer (the residual stream after that
block), at every position, for every forward pass made while the context manager is open: the
prompt's prefill and each generated token alike. It is removed when the block exits, also when
generation raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from biaskit.errors import ConfigError

# Attribute paths to the decoder's list of blocks, for the families biaskit runs (Llama, SmolLM2,
# Qwen, Mistral, Gemma 3 text: model.layers; GPT-2 style: transformer.h).
_LAYER_PATHS = ("model.layers", "model.language_model.layers", "transformer.h", "gpt_neox.layers")


def decoder_layers(model: Any) -> torch.nn.ModuleList:
    """The decoder blocks of ``model`` in order; raises ConfigError for an architecture it cannot find them in."""
    for path in _LAYER_PATHS:
        node = model
        for name in path.split("."):
            node = getattr(node, name, None)
            if node is None:
                break
        if isinstance(node, torch.nn.ModuleList) and len(node):
            return node
    raise ConfigError(f"steering: cannot find the decoder layers of {type(model).__name__} "
                      f"(looked for {', '.join(_LAYER_PATHS)}); expected a transformers causal LM")  # fmt: skip


def check_layer(model: Any, layer: int) -> int:
    """``layer`` as a valid block index of ``model`` (negative counts from the end)."""
    count = len(decoder_layers(model))
    if not -count <= layer < count:
        raise ConfigError(f"steering layer {layer} is out of range: the model has {count} decoder layers (0 to {count - 1})")
    return layer % count


def _add(vector: torch.Tensor) -> Any:
    def hook(module: Any, inputs: Any, output: Any) -> Any:
        hidden = output[0] if isinstance(output, tuple) else output
        steered = hidden + vector.to(dtype=hidden.dtype, device=hidden.device)
        return (steered, *output[1:]) if isinstance(output, tuple) else steered

    return hook


@contextmanager
def steering(model: Any, layer: int, vector: torch.Tensor | Any, strength: float = 1.0) -> Iterator[None]:
    """Add ``strength * vector`` to the output of decoder block ``layer`` while the block is open.

    ``vector`` has the model's hidden size. Strength 0 adds zeros, which leaves every activation,
    and so greedy decoding, exactly as without the hook.
    """
    blocks = decoder_layers(model)
    index = check_layer(model, layer)
    delta = torch.as_tensor(vector, dtype=torch.float32).flatten() * float(strength)
    hidden = getattr(getattr(model, "config", None), "hidden_size", None)
    if hidden is not None and delta.numel() != hidden:
        raise ConfigError(f"steering vector has {delta.numel()} values but the model's hidden size is {hidden}: "
                          "fit the vector on this model (biaskit debias steer-fit)")  # fmt: skip
    handle = blocks[index].register_forward_hook(_add(delta))
    try:
        yield
    finally:
        handle.remove()


@contextmanager
def capture(model: Any) -> Iterator[list[torch.Tensor | None]]:
    """Record every decoder block's output of the forward passes made inside the block (last pass wins)."""
    blocks = decoder_layers(model)
    seen: list[torch.Tensor | None] = [None] * len(blocks)

    def keep(index: int) -> Any:
        def hook(module: Any, inputs: Any, output: Any) -> None:
            seen[index] = (output[0] if isinstance(output, tuple) else output).detach()

        return hook

    handles = [block.register_forward_hook(keep(i)) for i, block in enumerate(blocks)]
    try:
        yield seen
    finally:
        for handle in handles:
            handle.remove()
