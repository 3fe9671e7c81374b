"""Run configuration: one typed record built from defaults, a config file and command-line options.

Precedence: command line > ``--config FILE`` (YAML or JSON, keys are option names with ``_``) >
defaults. The resolved record is stored in the manifest, so ``biaskit eval --config
results/<id>/manifest.json`` replays a run.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from biaskit.engines import Backend, EngineConfig
from biaskit.engines._types import SamplingParams
from biaskit.errors import ConfigError, shorten

# Options that change how a run is carried out or scored, not which responses it holds: a run directory
# is shared across them, so `--phase base` then `--phase all` continues the same run.
NOT_IDENTITY = frozenset(
    {
        "run_id",
        "results_dir",
        "batch_size",
        "concurrency",
        "timeout",
        "max_retries",
        "phase",
        "attack_scope",
        "judge",
        "calibrate_judge",
        "tau",
        "bootstrap",
    }
)

# Options whose default changed: a stored run that lacks one was made with the old value.
FORMER_DEFAULTS: dict[str, Any] = {"limit_mode": "first"}


class EvalConfig(BaseModel):
    """Everything ``biaskit eval`` needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    # what to evaluate
    suite: Literal["clear-bias", "nbls"] = "clear-bias"
    data: str | None = None  # local copy of the suite's data (default: the copy shipped with biaskit)
    tasks: tuple[str, ...] = ("CTO", "SC")
    categories: tuple[str, ...] = ()
    attacks: tuple[str, ...] = ()  # empty: all attacks (adversarial phase)
    phase: Literal["base", "adversarial", "all"] = "base"
    # "safe": attack only the categories the model passed (the paper's method); "all": attack every
    # category, a stress test for models that pass none
    attack_scope: Literal["safe", "all"] = "safe"
    limit: int | None = Field(None, ge=1)
    # clear-bias: "stratified" spreads --limit over every (category, task) cell, seeded by `seed`;
    # "first" takes the first N rows (what runs made before this option did)
    limit_mode: Literal["stratified", "first"] = "stratified"
    condition: str = "plain"
    # nbls suite
    bls: str | None = None  # BLS CPS table 11 file (tidy CSV, raw BLS export or winogender TSV); default: shipped 2025 table
    ground: int | None = Field(None, ge=1)  # also run a grounded condition with this many BLS facts
    nbls_method: Literal["auto", "logprob", "sample"] = "auto"
    nbls_attributes: tuple[str, ...] = ("gender", "race")
    nbls_tasks: tuple[str, ...] = ("sc", "mc", "ooo")
    nbls_shots: tuple[str, ...] = ("zero",)
    occupations: tuple[str, ...] = ()  # case-insensitive substrings of BLS titles; empty: all
    # debiasing: a YAML file of debias settings (verifier, draft, constitution, rule, gamma, alpha)
    # or "default" (the model as its own verifier, default constitution); runs plain and debiased
    debias: str | None = None
    # which model
    model: str = "smollm2-135m"
    revision: str | None = None
    backend: Backend = "auto"
    dtype: str = "auto"
    batch_size: int = Field(32, ge=1)
    tensor_parallel_size: int = Field(1, ge=1)
    data_parallel_size: int = Field(1, ge=1)
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = Field(16, ge=1)
    timeout: float = Field(120.0, gt=0)  # openai: seconds to wait for one answer
    max_retries: int = Field(5, ge=0)  # openai: retries of a request that failed transiently
    # decoding
    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(128, ge=1)
    seed: int = 0
    samples: int = Field(1, ge=1)
    # judging and scoring
    judge: str = "trained"
    calibrate_judge: bool = True  # measure the judge's kappa on the control set (cached per judge)
    tau: float = Field(0.5, ge=0.0, le=1.0)
    bootstrap: int = Field(1000, ge=1)
    # where results go
    results_dir: str = "results"
    run_id: str | None = None

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            model=self.model,
            revision=self.revision,
            backend=self.backend,
            dtype=self.dtype,
            batch_size=self.batch_size,
            tensor_parallel_size=self.tensor_parallel_size,
            data_parallel_size=self.data_parallel_size,
            base_url=self.base_url,
            api_key_env=self.api_key_env,
            concurrency=self.concurrency,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    def sampling(self) -> SamplingParams:
        try:
            return SamplingParams(temperature=self.temperature, top_p=self.top_p, max_tokens=self.max_tokens, seed=self.seed, n=self.samples)
        except ValidationError as exc:
            raise ConfigError(_first_error(exc)) from None

    def resolved_run_id(self) -> str:
        """Same options, same run id: re-running a command resumes its run directory."""
        if self.run_id:
            return self.run_id
        identity = identity_options(self.model_dump())
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]
        model = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(self.model).name if "/" in self.model else self.model)
        return f"{self.suite}-{model}-{self.condition}-{digest}"


def identity_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options that say which responses a run holds; its run id is hashed over them."""
    identity = {k: v for k, v in options.items() if k not in NOT_IDENTITY}
    if identity.get("debias"):
        identity["debias"] = debias_identity(str(identity["debias"]))
    # limit_mode picks other prompts only for a limited CLEAR-Bias run, and "first" is what runs made
    # before the option existed did: leaving it out otherwise keeps every earlier run's id.
    if identity.get("limit_mode") == "first" or not identity.get("limit") or identity.get("suite") != "clear-bias":
        identity.pop("limit_mode", None)
    return identity


def with_defaults(options: dict[str, Any]) -> dict[str, Any]:
    """A stored run's options with the defaults of options added since it was made, so a run of
    an older biaskit can be resumed (pass its ``--run-id``: its id was hashed over fewer options)."""
    options = {**FORMER_DEFAULTS, **options}
    try:
        return {**EvalConfig.model_validate(options).model_dump(mode="json"), **options}
    except ValidationError:
        return options


MAX_CONFIG_BYTES = 1_000_000  # a config is a few lines; a replayed manifest.json a few kilobytes


class _AliasRefused(Exception):
    def __init__(self, line: int, anchor: str) -> None:
        self.line, self.anchor = line, anchor


class _NoAliasLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing aliases (``*name``): an alias bomb expands a few hundred bytes
    into gigabytes, and no biaskit option needs one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasRefused(event.start_mark.line + 1, str(event.anchor))
        return super().compose_node(parent, index)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Options from a YAML/JSON file; a manifest.json is accepted and its ``config`` used."""
    path = Path(path)
    expected = "expected a YAML or JSON mapping of option names to values, such as 'limit: 10'"
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"--config {path}: cannot read it ({exc.strerror or exc})") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"--config {path}: larger than {MAX_CONFIG_BYTES // 1_000_000} MB; {expected} (a config is a few lines)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"--config {path}: line {line} is not UTF-8 text (byte 0x{raw[exc.start]:02x}); {expected}") from None
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506  (a SafeLoader that also refuses aliases)
    except _AliasRefused as exc:
        raise ConfigError(f"--config {path}: line {exc.line} uses a YAML alias (*{shorten(exc.anchor, 40, quote=False)}); "
                          "write the value out instead (aliases are refused: a few of them can expand a small file into gigabytes)") from None  # fmt: skip
    except yaml.YAMLError as exc:
        raise ConfigError(f"--config {path}: not valid YAML/JSON ({shorten(str(exc).splitlines()[0], 200, quote=False)}); {expected}") from exc
    if data is None:
        raise ConfigError(f"--config {path} is empty; {expected}")
    if not isinstance(data, dict):
        raise ConfigError(f"--config {path}: holds a {type(data).__name__}; {expected}")
    if "schema_version" in data and isinstance(data.get("config"), dict):
        data = {**FORMER_DEFAULTS, **data["config"]}  # replaying a stored run: as it was made
    return {k.replace("-", "_"): v for k, v in data.items()}


def build_config(model: type[BaseModel], file_values: dict[str, Any], cli_values: dict[str, Any], source: str = "") -> Any:
    """Merge file and CLI values (CLI wins) into ``model``; errors name the bad option."""
    merged = {**file_values, **{k: v for k, v in cli_values.items() if v is not None}}
    if isinstance(merged.get("run_id"), str):  # one rule for every way a run id arrives (see check_run_id)
        from biaskit.results.folder import check_run_id

        check_run_id(merged["run_id"], "--run-id" if "run_id" in cli_values and cli_values["run_id"] is not None
                     else f"run_id in {source or 'the config file'}")  # fmt: skip
    try:
        return model(**merged)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc, source)) from None


def _first_error(exc: ValidationError, source: str = "") -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "value"
    option = "--" + where.replace("_", "-") if where != "value" else "option"
    got = err.get("input")
    suffix = f" (got {shorten(got)})" if got is not None and not isinstance(got, dict) else ""
    return f"{option}: {err['msg']}{suffix}" + (f" [in {source}]" if source else "")


def debias_identity(spec: str) -> Any:
    """A ``--debias`` spec as the settings it resolves to (``flows.debiased.resolved_debias``); a
    file that cannot be read stays its name here (the debiased flow reports it before any work)."""
    from biaskit.flows.debiased import resolved_debias

    try:
        return resolved_debias(spec)
    except ConfigError:
        return spec
