"""Judge specs: one string (``--judge SPEC``) names a judge and, for LLM judges, its engine.

Grammar::

    SPEC    = KIND [ ":" ENGINE ] { "," OPTION }
    KIND    = "hybrid" | "deterministic" | "llm"
    ENGINE  = [ "llm=" ] [ BACKEND ":" ] MODEL [ "@" BASE_URL ]
    BACKEND = "hf" | "vllm" | "openai" | "auto"
    OPTION  = "key_env=" VAR | "dtype=" DTYPE | "batch_size=" N | "concurrency=" N | "prefix=" ("on" | "off")

Examples::

    hybrid                                   rules + the default model (SmolLM2-135M on hf) for abstentions
    deterministic                            rules only; abstentions are counted as "unparsed"
    llm:smollm2-135m                         LLM only, backend auto (vllm when installed, else hf)
    llm:vllm:Qwen/Qwen2.5-7B-Instruct        a hub model on vLLM
    hybrid:llm=openai:deepseek-chat@https://api.deepseek.com/v1,key_env=DEEPSEEK_API_KEY
    llm:openai:gpt-4o@https://api.openai.com/v1     key read from $OPENAI_API_KEY

The hybrid judge's fallback defaults to the hf backend: it sees few items, and hf starts in
seconds where vLLM needs a warm-up. API keys are only ever named (``key_env``), never written.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from biaskit.engines import EngineConfig
from biaskit.engines.models import DEFAULT_MODEL
from biaskit.errors import ConfigError

KINDS = ("hybrid", "deterministic", "llm")
BACKENDS = ("hf", "vllm", "openai", "auto")
_OPTIONS = {"key_env": "api_key_env", "dtype": "dtype", "batch_size": "batch_size", "concurrency": "concurrency"}


class JudgeSpec(BaseModel):
    """A parsed ``--judge`` value. ``engine`` is None for the deterministic judge."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["hybrid", "deterministic", "llm"]
    engine: EngineConfig | None = None
    prefix: bool | None = None
    text: str

    @property
    def name(self) -> str:
        """A short name for results: the kind plus the judge model, if any."""
        return self.kind if self.engine is None else f"{self.kind}:{self.engine.model}"


def parse_spec(spec: str) -> JudgeSpec:
    """Parse a judge spec (see the module docstring); a bad spec is a ConfigError naming the part."""
    text = spec.strip()
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ConfigError(f"--judge {spec!r}: unknown judge {kind!r}; expected hybrid, deterministic or llm (e.g. llm:smollm2-135m)")
    parts = [p.strip() for p in rest.split(",")] if rest else []
    if parts and "=" in parts[0] and not parts[0].startswith("llm="):
        parts.insert(0, "")
    engine_text = parts[0].removeprefix("llm=") if parts else ""
    options: dict[str, object] = {}
    prefix: bool | None = None
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if key == "prefix" and value in ("on", "off"):
            prefix = value == "on"
        elif sep and key in _OPTIONS:
            options[_OPTIONS[key]] = value
        else:
            raise ConfigError(f"--judge {spec!r}: unknown option {part!r}; expected key_env=, dtype=, batch_size=, concurrency= or prefix=on|off")
    if kind == "deterministic":
        if engine_text or options:
            raise ConfigError(f"--judge {spec!r}: the deterministic judge takes no model or options")
        return JudgeSpec(kind="deterministic", text=text)
    backend = "hf" if kind == "hybrid" else "auto"
    model, _, base_url = engine_text.partition("@")
    head, sep, tail = model.partition(":")
    if sep and head in BACKENDS:
        backend, model = head, tail
    if backend == "openai" and not model:
        raise ConfigError(f"--judge {spec!r}: an openai judge needs a model name, e.g. llm:openai:gpt-4o@https://api.openai.com/v1")
    try:
        engine = EngineConfig(model=model or DEFAULT_MODEL, backend=backend, base_url=base_url or None, **options)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"--judge {spec!r}: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    return JudgeSpec(kind=kind, engine=engine, prefix=prefix, text=text)  # type: ignore[arg-type]
