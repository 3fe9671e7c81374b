"""The transformers engine: batched generation with left padding, KV cache, CPU or GPU."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from biaskit.engines._chat import chat_token_ids, continuation_token_ids
from biaskit.engines._stop import stop_token_ids
from biaskit.engines._types import ChatRequest, Completion, EngineInfo, SamplingParams, Score, ScoreRequest
from biaskit.engines.models import ResolvedModel, model_fingerprint
from biaskit.errors import EngineError


def _torch_dtype(name: str, on_gpu: bool) -> Any:
    import torch

    if name == "auto":
        return torch.bfloat16 if on_gpu and torch.cuda.is_bf16_supported() else torch.float32
    try:
        return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[name]
    except KeyError:
        raise EngineError(f"--dtype {name!r} is not one of auto, float32, float16, bfloat16") from None


MAX_BATCH_TOKENS = 16_384  # padded prompt tokens per forward pass: bounds activation memory


def length_batches(lengths: Sequence[int], batch_size: int, max_tokens: int) -> list[list[int]]:
    """Indices of ``lengths`` in batches of similar length: at most ``batch_size`` rows, and at most
    ``max_tokens`` padded tokens (rows times the longest row) unless a single row is longer."""
    batches: list[list[int]] = []
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if batches and len(batches[-1]) < batch_size and (len(batches[-1]) + 1) * lengths[index] <= max_tokens:
            batches[-1].append(index)
        else:
            batches.append([index])
    return batches


class HFEngine:
    """A transformers causal LM. ``batch_size`` prompts go through one ``generate`` call at a time."""

    backend = "hf"

    def __init__(
        self,
        model: ResolvedModel,
        dtype: str = "auto",
        batch_size: int = 32,
        device: str | None = None,
        trust_remote_code: bool = False,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        on_gpu = torch.cuda.is_available() if device is None else device.startswith("cuda")
        self.resolved = model
        self.batch_size = batch_size
        self.dtype = _torch_dtype(dtype, on_gpu)
        kwargs: dict[str, Any] = {"revision": model.revision, "trust_remote_code": trust_remote_code}
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model.path, **kwargs)
            placement = {"device_map": "auto"} if on_gpu and device is None else {}
            self.model = AutoModelForCausalLM.from_pretrained(model.path, dtype=self.dtype, **placement, **kwargs)
        except OSError as exc:
            raise EngineError(f"could not load model {model.spec!r} with transformers: {exc}".splitlines()[0]) from exc
        if device is not None:
            self.model.to(device)  # type: ignore[arg-type]  # transformers types .to() as a decorator wrapper; a device is what it takes
        self.model.eval()
        self.device = next(self.model.parameters()).device
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        # The tokens that end an answer; the debias loops use this same set (``engines._stop``).
        self.stop_ids = stop_token_ids(self.model.generation_config, self.tokenizer)

    def _plain_greedy(self) -> bool:
        """Whether greedy decoding here is the argmax of the raw logits (no generation setting of
        the model, such as a repetition penalty or a minimum length, changes the choice)."""
        config = self.model.generation_config
        changes = ("no_repeat_ngram_size", "bad_words_ids", "suppress_tokens", "begin_suppress_tokens", "min_new_tokens", "sequence_bias")
        return (config.repetition_penalty in (None, 1.0) and not (config.min_length or 0)
                and not any(getattr(config, name, None) for name in changes))  # fmt: skip

    def info(self) -> EngineInfo:
        import transformers

        return EngineInfo(
            backend=self.backend,
            backend_version=transformers.__version__,
            model=self.resolved.spec,
            model_path=self.resolved.path,
            revision=model_fingerprint(self.resolved),
            dtype=str(self.dtype).removeprefix("torch."),
            extra={"batch_size": self.batch_size, "device": str(self.device)},
        )

    def encode(self, requests: Sequence[ChatRequest]) -> list[list[int]]:
        """Prompt token ids of each request (the same ids the vllm engine sends)."""
        return [chat_token_ids(self.tokenizer, r) for r in requests]

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        prompts = self.encode(requests)
        results: list[list[Completion]] = [[] for _ in prompts]
        # Batches of similar length waste little padding; the answers go back in request order.
        for chunk in length_batches([len(p) for p in prompts], self.batch_size, MAX_BATCH_TOKENS // sampling.n):
            for index, completions in zip(chunk, self.generate_ids([prompts[i] for i in chunk], sampling)):
                results[index] = completions
        return results

    def generate_ids(self, prompts: Sequence[list[int]], sampling: SamplingParams) -> list[list[Completion]]:
        """One batched decoding call over already tokenized prompts (one forward pass for a single
        greedy step, else ``model.generate``)."""
        import torch

        pad = self.tokenizer.pad_token_id
        width = max(len(p) for p in prompts)
        input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=self.device)
        attention = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=self.device)
        greedy = sampling.temperature == 0.0
        if greedy and sampling.max_tokens == 1 and self._plain_greedy():
            # One step (the LLM judge reads a label's log-probabilities): a single forward pass with
            # no KV cache kept, vocabulary logits at the last position only.
            positions = (attention.cumsum(-1) - 1).clamp(min=0)
            with torch.inference_mode():
                last = self.model(input_ids=input_ids, attention_mask=attention, position_ids=positions, logits_to_keep=1, use_cache=False).logits[
                    :, -1
                ]
            new_tokens, step_logits = last.argmax(-1, keepdim=True), (last,)
        else:
            torch.manual_seed(sampling.seed)
            with torch.inference_mode():
                out = self.model.generate(  # type: ignore[misc]  # transformers' self type for generate() misses AutoModelForCausalLM's models
                    input_ids=input_ids,
                    attention_mask=attention,
                    do_sample=not greedy,
                    temperature=None if greedy else sampling.temperature,
                    top_p=None if greedy else sampling.top_p,
                    top_k=None,
                    max_new_tokens=sampling.max_tokens,
                    num_return_sequences=sampling.n,
                    pad_token_id=pad,
                    eos_token_id=sorted(self.stop_ids) or None,
                    return_dict_in_generate=True,
                    output_logits=sampling.logprobs is not None,
                )
            new_tokens, step_logits = out.sequences[:, width:], out.logits  # type: ignore[union-attr,assignment]  # return_dict_in_generate=True: a Generate*Output with logits
            del out  # its KV cache
        logprobs = None
        if sampling.logprobs is not None:
            steps = torch.stack(step_logits, dim=1).float().log_softmax(-1)  # (batch*n, steps, vocab)
        completions: list[list[Completion]] = [[] for _ in prompts]
        for row in range(new_tokens.shape[0]):
            ids = new_tokens[row].tolist()
            finish = "length"
            for pos, token in enumerate(ids):
                if token in self.stop_ids:
                    ids, finish = ids[:pos], "stop"
                    break
            top: list[dict[str, float]] | None = None
            if sampling.logprobs is not None:
                logprobs = [steps[row, pos, tok].item() for pos, tok in enumerate(ids)]
                if sampling.logprobs > 0:
                    values, indices = steps[row, : len(ids)].topk(sampling.logprobs, dim=-1)
                    top = [{self.tokenizer.decode([i]): v for i, v in zip(idx.tolist(), val.tolist())} for idx, val in zip(indices, values)]  # type: ignore[misc]  # decode(list[int]) is a str
            text: str = self.tokenizer.decode(ids, skip_special_tokens=True)  # type: ignore[assignment]  # decode(list[int]) is a str
            text, finish = _apply_stop(text, sampling.stop, finish)
            completions[row // sampling.n].append(Completion(text=text, token_ids=ids, logprobs=logprobs, top_logprobs=top, finish_reason=finish))
        return completions

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        """Log-probability of each continuation, in batches of similar length (at most
        ``batch_size`` rows and ``MAX_BATCH_TOKENS`` padded tokens each). Rows are padded on the
        left with explicit positions, so only the last positions, where continuations sit, are
        turned into vocabulary logits: memory stays bounded however long the contexts are."""
        import torch

        rows = [(chat_token_ids(self.tokenizer, r.context), continuation_token_ids(self.tokenizer, r.continuation)) for r in requests]
        scores: list[Score | None] = [None] * len(rows)
        pad = self.tokenizer.pad_token_id
        for chunk in length_batches([len(c) + len(t) for c, t in rows], self.batch_size, MAX_BATCH_TOKENS):
            width = max(len(rows[i][0]) + len(rows[i][1]) for i in chunk)
            keep = max(len(rows[i][1]) for i in chunk) + 1  # the last context position and the continuation's
            ids = torch.tensor([[pad] * (width - len(c) - len(t)) + c + t for c, t in (rows[i] for i in chunk)], device=self.device)
            mask = torch.tensor([[0] * (width - len(c) - len(t)) + [1] * (len(c) + len(t)) for c, t in (rows[i] for i in chunk)], device=self.device)
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            with torch.inference_mode():
                logits = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=keep, use_cache=False).logits
                logprobs = logits.float().log_softmax(-1)  # (rows, keep, vocab)
                for row, index in enumerate(chunk):
                    target = rows[index][1]
                    # the token at width - len(target) + k is predicted at kept position keep - len(target) - 1 + k
                    first = keep - len(target) - 1
                    values = [logprobs[row, first + k, tok].item() for k, tok in enumerate(target)]
                    tokens: list[str] = [self.tokenizer.decode([tok]) for tok in target]  # type: ignore[misc]  # decode(list[int]) is a str
                    scores[index] = Score(logprob=sum(values), token_logprobs=values, tokens=tokens)
            del logits, logprobs
        return [s for s in scores if s is not None]

    def close(self) -> None:
        import gc

        import torch

        self.model = None  # type: ignore[assignment]
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _apply_stop(text: str, stop: Sequence[str], finish: str) -> tuple[str, str]:
    cut = min((text.find(s) for s in stop if s and s in text), default=-1)
    return (text[:cut], "stop") if cut >= 0 else (text, finish)
