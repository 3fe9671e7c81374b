"""Judge specs: one string (``--judge SPEC``) names a judge and, for LLM judges, its engine.

Grammar::

    SPEC    = KIND [ ":" ENGINE ] { "," OPTION }
    KIND    = "hybrid" | "deterministic" | "llm"
    ENGINE  = [ "llm=" ] [ BACKEND ":" ] MODEL [ "@" BASE_URL ]
    BACKEND = "hf" | "vllm" | "openai" | "auto"
    OPTION  = "key_env=" VAR | "dtype=" DTYPE | "batch_size=" N | "concurrency=" N | "prefix=" ("on" | "off")
            | "read=" ("logprobs" | "generate") | "text_over_letter=" ("on" | "off")

Examples::

    hybrid                                   rules + the default model (SmolLM2-135M on hf) for abstentions
    deterministic                            rules only; abstentions are counted as "unparsed"
    llm:smollm2-135m                         LLM only, backend auto (vllm when installed, else hf)
    llm:vllm:Qwen/Qwen2.5-7B-Instruct        a hub model on vLLM
    hybrid:llm=openai:deepseek-chat@https://api.deepseek.com/v1,key_env=DEEPSEEK_API_KEY
    llm:openai:gpt-4o@https://api.openai.com/v1     key read from $OPENAI_API_KEY
    hybrid,read=generate                     the fallback writes its label instead of having it read
    deterministic,text_over_letter=on        opt-in rule: an answer's opening option text beats a letter

The hybrid judge's fallback defaults to the hf backend: it sees few items, and hf starts in
seconds where vLLM needs a warm-up. API keys are only ever named (``key_env``), never written.
``read`` says how an LLM judge gives its label: ``logprobs`` (default on local engines) reads the
most probable label after the forced ``[[`` from one decoding step; ``generate`` (default for
API engines) lets it write up to 24 tokens, parses them and retries once with a stricter prompt.
``text_over_letter`` is an opt-in rule of the deterministic part (see ``biaskit.judges.deterministic``).
"""

from __future__ import annotations

import re
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
    read: Literal["logprobs", "generate"] | None = None
    text_over_letter: bool = False
    text: str

    @property
    def name(self) -> str:
        """A short name for results: the kind plus the judge model, if any, and options that change
        labels (an explicit ``read``, the opt-in rule)."""
        name = self.kind if self.engine is None else f"{self.kind}:{self.engine.model}"
        if self.read:
            name += f",read={self.read}"
        return name + (",text_over_letter=on" if self.text_over_letter else "")


def parse_spec(spec: str) -> JudgeSpec:
    """Parse a judge spec (see the module docstring); a bad spec is a ConfigError naming the part."""
    text = spec.strip()
    kind, sep, rest = re.match(r"([^:,]*)([:,]?)(.*)", text, re.S).groups()  # type: ignore[union-attr]
    kind = kind.strip().lower()
    rest = "," + rest if sep == "," else rest
    if kind not in KINDS:
        raise ConfigError(f"--judge {spec!r}: unknown judge {kind!r}; expected hybrid, deterministic or llm (e.g. llm:smollm2-135m)")
    parts = [p.strip() for p in rest.split(",")] if rest else []
    if parts and "=" in parts[0] and not parts[0].startswith("llm="):
        parts.insert(0, "")
    engine_text = parts[0].removeprefix("llm=") if parts else ""
    options: dict[str, object] = {}
    prefix: bool | None = None
    read: str | None = None
    text_over_letter = False
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if key == "prefix" and value in ("on", "off"):
            prefix = value == "on"
        elif key == "read" and value in ("logprobs", "generate"):
            read = value
        elif key == "text_over_letter" and value in ("on", "off"):
            text_over_letter = value == "on"
        elif sep and key in _OPTIONS:
            options[_OPTIONS[key]] = value
        else:
            raise ConfigError(f"--judge {spec!r}: unknown option {part!r}; expected key_env=, dtype=, batch_size=, concurrency=, "
                              "prefix=on|off, read=logprobs|generate or text_over_letter=on|off")  # fmt: skip
    if read == "logprobs" and prefix is False:
        raise ConfigError(f"--judge {spec!r}: read=logprobs reads the label right after the forced '[[', so it needs prefix=on")
    if kind == "deterministic":
        if engine_text or options or prefix is not None or read:
            raise ConfigError(f"--judge {spec!r}: the deterministic judge takes no model and no option but text_over_letter=on|off")
        return JudgeSpec(kind="deterministic", text_over_letter=text_over_letter, text=text)
    if kind == "llm" and text_over_letter:
        raise ConfigError(f"--judge {spec!r}: text_over_letter is a rule of the deterministic and hybrid judges, not of llm")
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
    return JudgeSpec(kind=kind, engine=engine, prefix=prefix, read=read, text_over_letter=text_over_letter, text=text)  # type: ignore[arg-type]
