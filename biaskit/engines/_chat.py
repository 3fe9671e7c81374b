"""Turning chat requests into token ids, identically for every local engine.

The hf and vllm engines both render the conversation with the model's own chat template and tokenize
it here, so they see the same token ids for the same request (a precondition for their greedy outputs
to agree). Models without a chat template (base models) get a plain "Role: text" layout.
"""

from __future__ import annotations

from typing import Any

from biaskit.engines._types import ChatRequest

PLAIN_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] | capitalize }}: {{ m['content'] }}\n\n{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)


def render_chat(tokenizer: Any, request: ChatRequest) -> str:
    """The prompt text for ``request``: template, generation prompt, then the forced answer prefix."""
    messages = [{"role": m.role, "content": m.content} for m in request.messages]
    template = None if getattr(tokenizer, "chat_template", None) else PLAIN_TEMPLATE
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, chat_template=template)
    if template is not None and request.assistant_prefix:
        return text + " " + request.assistant_prefix
    return text + request.assistant_prefix


def chat_token_ids(tokenizer: Any, request: ChatRequest) -> list[int]:
    """Token ids of the rendered prompt. The template already holds any special tokens it wants."""
    text = render_chat(tokenizer, request)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    bos = getattr(tokenizer, "bos_token_id", None)
    # Templates of some models (Gemma) start with BOS; base-model plain layouts do not, so add it when
    # the tokenizer normally would.
    if bos is not None and (not ids or ids[0] != bos) and _adds_bos(tokenizer):
        ids = [bos] + ids
    return ids


def continuation_token_ids(tokenizer: Any, continuation: str) -> list[int]:
    """Token ids of a continuation scored after a prompt, under this model's own tokenizer."""
    return tokenizer(continuation, add_special_tokens=False)["input_ids"]


def _adds_bos(tokenizer: Any) -> bool:
    probe = tokenizer("a", add_special_tokens=True)["input_ids"]
    return bool(probe) and probe[0] == getattr(tokenizer, "bos_token_id", None)
