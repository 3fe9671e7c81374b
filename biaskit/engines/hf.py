"""The transformers engine: batched generation with left padding, KV cache, CPU or GPU."""

from __future__ import annotations

from typing import Any, Sequence

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
            self.model.to(device)
        self.model.eval()
        self.device = next(self.model.parameters()).device
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        # The tokens that end an answer; the debias loops use this same set (``engines._stop``).
        self.stop_ids = stop_token_ids(self.model.generation_config, self.tokenizer)

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
        # Sort by length so each padded batch wastes little; restore order afterwards.
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            for index, completions in zip(chunk, self.generate_ids([prompts[i] for i in chunk], sampling)):
                results[index] = completions
        return results

    def generate_ids(self, prompts: Sequence[list[int]], sampling: SamplingParams) -> list[list[Completion]]:
        """One batched ``model.generate`` call over already tokenized prompts."""
        import torch

        pad = self.tokenizer.pad_token_id
        width = max(len(p) for p in prompts)
        input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=self.device)
        attention = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=self.device)
        greedy = sampling.temperature == 0.0
        torch.manual_seed(sampling.seed)
        with torch.inference_mode():
            out = self.model.generate(
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
        new_tokens = out.sequences[:, width:]
        logprobs = None
        if sampling.logprobs is not None:
            steps = torch.stack(out.logits, dim=1).float().log_softmax(-1)  # (batch*n, steps, vocab)
        completions: list[list[Completion]] = [[] for _ in prompts]
        for row in range(new_tokens.shape[0]):
            ids = new_tokens[row].tolist()
            finish = "length"
            for pos, token in enumerate(ids):
                if token in self.stop_ids:
                    ids, finish = ids[:pos], "stop"
                    break
            top = None
            if sampling.logprobs is not None:
                logprobs = [steps[row, pos, tok].item() for pos, tok in enumerate(ids)]
                if sampling.logprobs > 0:
                    values, indices = steps[row, : len(ids)].topk(sampling.logprobs, dim=-1)
                    top = [
                        {self.tokenizer.decode([i]): v for i, v in zip(idx.tolist(), val.tolist())}
                        for idx, val in zip(indices, values)
                    ]
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            text, finish = _apply_stop(text, sampling.stop, finish)
            completions[row // sampling.n].append(
                Completion(text=text, token_ids=ids, logprobs=logprobs, top_logprobs=top, finish_reason=finish)
            )
        return completions

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        import torch

        rows = []
        for request in requests:
            context = chat_token_ids(self.tokenizer, request.context)
            rows.append((context, continuation_token_ids(self.tokenizer, request.continuation)))
        scores: list[Score] = []
        pad = self.tokenizer.pad_token_id
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start : start + self.batch_size]
            width = max(len(c) + len(t) for c, t in chunk)
            # Right padding: causal attention means padding after the text changes nothing before it.
            ids = torch.tensor([c + t + [pad] * (width - len(c) - len(t)) for c, t in chunk], device=self.device)
            mask = torch.tensor([[1] * (len(c) + len(t)) + [0] * (width - len(c) - len(t)) for c, t in chunk], device=self.device)
            with torch.inference_mode():
                logits = self.model(input_ids=ids, attention_mask=mask).logits.float().log_softmax(-1)
            for row, (context, target) in enumerate(chunk):
                positions = range(len(context) - 1, len(context) + len(target) - 1)
                values = [logits[row, p, tok].item() for p, tok in zip(positions, target)]
                tokens = [self.tokenizer.decode([t]) for t in target]
                scores.append(Score(logprob=sum(values), token_logprobs=values, tokens=tokens))
        return scores

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
