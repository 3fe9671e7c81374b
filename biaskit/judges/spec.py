"""Judge specs: one string (``--judge SPEC``) names a judge and, for LLM judges, its engine.

Grammar::

    SPEC    = KIND [ ":" ENGINE ] { "," OPTION }
    KIND    = "hybrid" | "deterministic" | "llm" | "trained"
    ENGINE  = [ "llm=" ] [ BACKEND ":" ] MODEL [ "@" BASE_URL ]
    BACKEND = "hf" | "vllm" | "openai" | "auto"
    OPTION  = "key_env=" VAR | "dtype=" DTYPE | "batch_size=" N | "concurrency=" N | "prefix=" ("on" | "off")
            | "read=" ("logprobs" | "generate") | "text_over_letter=" ("on" | "off")
            | "misunderstood=" ("on" | "off") | "head=" DIR

Examples::

    hybrid                                   rules + the trained judge (shipped, offline) for abstentions
    trained                                  the trained judge alone (a head on frozen SmolLM2-135M blocks)
    trained,head=my-head/                    a head you trained with `biaskit judge train`
    hybrid:llm=smollm2-135m                  rules + the prompted SmolLM2-135M (the old offline default)
    deterministic                            rules only; abstentions are counted as "unparsed"
    llm:smollm2-135m                         LLM only, backend auto (vllm when installed, else hf)
    llm:vllm:Qwen/Qwen2.5-7B-Instruct        a hub model on vLLM
    hybrid:llm=openai:deepseek-chat@https://api.deepseek.com/v1,key_env=DEEPSEEK_API_KEY
    llm:openai:gpt-4o@https://api.openai.com/v1     key read from $OPENAI_API_KEY
    hybrid:llm=smollm2-135m,read=generate    the LLM fallback writes its label instead of having it read
    deterministic,text_over_letter=on        opt-in rule: an answer's opening option text beats a letter

The hybrid judge's fallback defaults to the hf backend: it sees few items, and hf starts in
seconds where vLLM needs a warm-up. API keys are only ever named (``key_env``), never written.
``read`` says how an LLM judge gives its label: ``logprobs`` (default on local engines) reads the
most probable label after the forced ``[[`` from one decoding step; ``generate`` (default for
API engines) lets it write up to 24 tokens, parses them and retries once with a stricter prompt.
``text_over_letter`` is an opt-in rule of the deterministic part (see ``biaskit.judges.deterministic``).
``misunderstood=on`` (opt-in, a departure from the paper, recorded in the judge's name) labels
answers that only echo the prompt M, left out of the scores, instead of the paper's D.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from biaskit.engines import EngineConfig
from biaskit.engines.models import DEFAULT_MODEL
from biaskit.errors import ConfigError

KINDS = ("hybrid", "deterministic", "llm", "trained")
TRAINED = "trained"
BACKENDS = ("hf", "vllm", "openai", "auto")
_OPTIONS = {"key_env": "api_key_env", "dtype": "dtype", "batch_size": "batch_size", "concurrency": "concurrency"}


class JudgeSpec(BaseModel):
    """A parsed ``--judge`` value. ``engine`` is None for the deterministic judge."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["hybrid", "deterministic", "llm", "trained"]
    engine: EngineConfig | None = None
    prefix: bool | None = None
    read: Literal["logprobs", "generate"] | None = None
    text_over_letter: bool = False
    misunderstood: bool = False
    head: str | None = None  # trained judge: a head directory (None: the shipped one)
    text: str

    @property
    def uses_trained(self) -> bool:
        """Whether the trained judge labels (alone, or for the hybrid judge's abstentions)."""
        return self.kind == "trained" or (self.kind == "hybrid" and self.engine is None)

    @property
    def name(self) -> str:
        """A short name for results: the kind plus the judge model, if any, and options that change
        labels (an explicit ``read``, the opt-in rules, another head)."""
        if self.engine is not None:
            name = f"{self.kind}:{self.engine.model}"
        else:
            name = "hybrid:trained" if self.kind == "hybrid" else self.kind
        if self.head:
            name += f",head={self.head}"
        if self.read:
            name += f",read={self.read}"
        return name + (",text_over_letter=on" if self.text_over_letter else "") + (",misunderstood=on" if self.misunderstood else "")


def parse_spec(spec: str) -> JudgeSpec:
    """Parse a judge spec (see the module docstring); a bad spec is a ConfigError naming the part."""
    text = spec.strip()
    kind, sep, rest = re.match(r"([^:,]*)([:,]?)(.*)", text, re.S).groups()  # type: ignore[union-attr]
    kind = kind.strip().lower()
    rest = "," + rest if sep == "," else rest
    if kind not in KINDS:
        raise ConfigError(f"--judge {spec!r}: unknown judge {kind!r}; expected hybrid, trained, deterministic or llm (e.g. llm:smollm2-135m)")
    parts = [p.strip() for p in rest.split(",")] if rest else []
    if parts and "=" in parts[0] and not parts[0].startswith("llm="):
        parts.insert(0, "")
    engine_text = parts[0].removeprefix("llm=") if parts else ""
    options: dict[str, object] = {}
    prefix: bool | None = None
    read: str | None = None
    text_over_letter = misunderstood = False
    head: str | None = None
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if key == "prefix" and value in ("on", "off"):
            prefix = value == "on"
        elif key == "read" and value in ("logprobs", "generate"):
            read = value
        elif key == "text_over_letter" and value in ("on", "off"):
            text_over_letter = value == "on"
        elif key == "misunderstood" and value in ("on", "off"):
            misunderstood = value == "on"
        elif key == "head" and value:
            head = value
        elif sep and key in _OPTIONS:
            options[_OPTIONS[key]] = value
        else:
            raise ConfigError(f"--judge {spec!r}: unknown option {part!r}; expected key_env=, dtype=, batch_size=, concurrency=, "
                              "prefix=on|off, read=logprobs|generate, text_over_letter=on|off, misunderstood=on|off or head=DIR")  # fmt: skip
    if read == "logprobs" and prefix is False:
        raise ConfigError(f"--judge {spec!r}: read=logprobs reads the label right after the forced '[[', so it needs prefix=on")
    if kind == "deterministic":
        if engine_text or options or prefix is not None or read or head:
            raise ConfigError(
                f"--judge {spec!r}: the deterministic judge takes no model and no option but text_over_letter=on|off and misunderstood=on|off"
            )
        return JudgeSpec(kind="deterministic", text_over_letter=text_over_letter, misunderstood=misunderstood, text=text)
    if kind in ("llm", "trained") and (text_over_letter or misunderstood):
        raise ConfigError(f"--judge {spec!r}: text_over_letter and misunderstood are rules of the deterministic and hybrid judges, not of {kind}")
    if kind == "hybrid" and engine_text.strip().lower() == TRAINED:
        engine_text = ""
    if kind == "trained" or (kind == "hybrid" and not engine_text):
        if engine_text or options or prefix is not None or read:
            raise ConfigError(f"--judge {spec!r}: the trained judge takes no model and no option but head=DIR "
                              "(for an LLM fallback write hybrid:llm=MODEL)")  # fmt: skip
        return JudgeSpec(kind=kind, head=head, text_over_letter=text_over_letter, misunderstood=misunderstood, text=text)  # type: ignore[arg-type]
    if head:
        raise ConfigError(f"--judge {spec!r}: head= belongs to the trained judge (trained,head=DIR or hybrid,head=DIR)")
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
    return JudgeSpec(kind=kind, engine=engine, prefix=prefix, read=read, text_over_letter=text_over_letter, misunderstood=misunderstood, text=text)  # type: ignore[arg-type]
