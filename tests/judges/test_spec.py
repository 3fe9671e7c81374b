"""Judge spec strings."""

from __future__ import annotations

import pytest

from biaskit.errors import ConfigError
from biaskit.judges import DeterministicJudge, HybridJudge, TrainedJudge, make_judge, parse_spec


def test_default_hybrid_falls_back_to_the_trained_judge() -> None:
    spec = parse_spec("hybrid")
    assert spec.kind == "hybrid" and spec.engine is None and spec.uses_trained and spec.name == "hybrid:trained"
    assert parse_spec("hybrid:trained") == spec.model_copy(update={"text": "hybrid:trained"})
    llm = parse_spec("hybrid:llm=smollm2-135m")
    assert llm.engine is not None and (llm.engine.model, llm.engine.backend) == ("smollm2-135m", "hf") and not llm.uses_trained


def test_api_judge_spec_names_url_and_key_variable_only() -> None:
    spec = parse_spec("hybrid:llm=openai:deepseek-chat@https://api.deepseek.com/v1,key_env=DEEPSEEK_API_KEY")
    assert spec.engine is not None
    assert spec.engine.backend == "openai" and spec.engine.model == "deepseek-chat"
    assert spec.engine.base_url == "https://api.deepseek.com/v1" and spec.engine.api_key_env == "DEEPSEEK_API_KEY"


def test_llm_spec_with_backend_and_options() -> None:
    spec = parse_spec("llm:vllm:Qwen/Qwen2.5-7B-Instruct,dtype=bfloat16,prefix=off")
    assert spec.engine is not None
    assert (spec.kind, spec.engine.backend, spec.engine.model, spec.engine.dtype, spec.prefix) == ("llm", "vllm", "Qwen/Qwen2.5-7B-Instruct", "bfloat16", False)
    assert parse_spec("llm:smollm2-135m").engine.backend == "auto"  # type: ignore[union-attr]


@pytest.mark.parametrize(("spec", "needle"), [("oracle", "unknown judge"), ("hybrid:smollm2-135m,colour=red", "unknown option"),
                                              ("deterministic:smollm2-135m", "takes no model"), ("llm:openai:", "needs a model")])  # fmt: skip
def test_bad_specs_name_the_problem(spec: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_spec(spec)


def test_make_judge_loads_no_model_until_needed() -> None:
    assert isinstance(make_judge("deterministic"), DeterministicJudge)
    hybrid = make_judge("hybrid")
    assert isinstance(hybrid, HybridJudge) and isinstance(hybrid.llm, TrainedJudge) and hybrid.llm._encoder is None
    with_llm = make_judge("hybrid:llm=smollm2-135m")
    assert isinstance(with_llm, HybridJudge) and not with_llm.llm_loaded


def test_read_and_opt_in_rule_options() -> None:
    spec = parse_spec("hybrid:llm=smollm2-135m,read=generate,text_over_letter=on")
    assert (spec.kind, spec.read, spec.text_over_letter, spec.engine.model) == ("hybrid", "generate", True, "smollm2-135m")  # type: ignore[union-attr]
    assert spec.name == "hybrid:smollm2-135m,read=generate,text_over_letter=on"
    assert parse_spec("hybrid").read is None and parse_spec("hybrid,misunderstood=on").name == "hybrid:trained,misunderstood=on"
    assert parse_spec("trained,head=my-head").head == "my-head"
    rules = make_judge("deterministic,text_over_letter=on")
    assert isinstance(rules, DeterministicJudge) and rules.text_over_letter and rules.name == "deterministic,text_over_letter=on"


@pytest.mark.parametrize(("spec", "needle"), [("llm:smollm2-135m,read=logprobs,prefix=off", "needs prefix=on"),
                                              ("deterministic,read=generate", "no model and no option"),
                                              ("llm:smollm2-135m,text_over_letter=on", "not of llm"),
                                              ("hybrid,read=sample", "unknown option"),
                                              ("hybrid,read=generate", "hybrid:llm=MODEL"),
                                              ("trained,misunderstood=on", "not of trained"),
                                              ("llm:smollm2-135m,head=x", "belongs to the trained judge")])  # fmt: skip
def test_bad_read_options_name_the_problem(spec: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_spec(spec)
