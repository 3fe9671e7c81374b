"""The NBLS flow end to end: a scripted engine for the arithmetic, bad input, and the run directory."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from biaskit.config import EvalConfig
from biaskit.engines import Completion, EngineInfo, Score
from biaskit.errors import ConfigError, DataError
from biaskit.flows import nbls as flow
from biaskit.suites.nbls import load_table

DATA = Path(__file__).resolve().parents[1] / "data" / "nbls"
_OCCUPATION = re.compile(r"occupation: (.+?)\.\n?")


class BLSReplayEngine:
    """Answers sentence completions with exactly the BLS share of women (10% "their"), so a correct
    pipeline must report a gap of zero. Samples follow the same shares, deterministically."""

    def __init__(self, neither: float = 0.1) -> None:
        self.shares = {o.title: o.pct_women / 100 for o in load_table().occupations}
        self.neither = neither
        self.scored = 0

    def _probabilities(self, request) -> dict[str, float]:
        title = _OCCUPATION.search(request.messages[-1].content).group(1)
        women = self.shares[title] * (1 - self.neither)
        return {" her": women, " his": 1 - self.neither - women, " their": self.neither}

    def score(self, requests):
        self.scored += len(requests)
        return [Score(logprob=math.log(self._probabilities(r.context)[r.continuation]), token_logprobs=[]) for r in requests]

    def generate(self, requests, sampling):
        if sampling.logprobs:  # next-token pass: "their" is left out of the top, so it is scored
            probs = [self._probabilities(r) for r in requests]
            return [[Completion(text=" her", top_logprobs=[{k: math.log(p[k]) for k in (" her", " his")}])] for p in probs]
        out = []
        for request in requests:
            probs = self._probabilities(request)
            counts = {k: round(v * sampling.n) for k, v in probs.items()}
            texts = [k for k, c in counts.items() for _ in range(c)]
            texts += [" I'd rather not say"] * (sampling.n - len(texts))
            out.append([Completion(text=t + " bag.") for t in texts[: sampling.n]])
        return out

    def info(self):
        return EngineInfo(backend="replay", backend_version="0", model="bls-replay")

    def close(self):
        pass


def _config(tmp_path, **kw) -> EvalConfig:
    return EvalConfig(suite="nbls", results_dir=str(tmp_path), run_id=kw.pop("run_id", "run"), **kw)


def test_a_model_that_answers_like_bls_scores_zero_gap_and_resumes(tmp_path):
    engine = BLSReplayEngine()
    options = flow.NblsOptions(occupations=("nurse", "carpenter", "software"), tasks=("sc",), attributes=("gender",), ground=3)
    summary = flow.run(_config(tmp_path), quiet=True, options=options, engine=engine)
    run = tmp_path / "run"
    scores = json.loads((run / "scores.json").read_text())
    assert scores["suite"] == "nbls" and scores["method"] == "logprob" and scores["suppressed"] == 199
    assert scores["n_occupations"] == 6  # 3 nurse titles, carpenters, 2 software titles
    gender = scores["gender"]
    assert gender["mean_abs_gap"]["value"] == pytest.approx(0.0, abs=1e-9)
    assert gender["pearson"]["value"] == pytest.approx(1.0)
    assert gender["neither_share"]["value"] == pytest.approx(10.0)
    assert scores["race"] is None and scores["grounded"]["k"] == 3
    assert scores["grounded"]["paired_change"]["mean_abs_gap"]["value"] == pytest.approx(0.0, abs=1e-9)
    table = pd.read_csv(run / "occupations.csv")
    assert len(table) == 6 and {"bls_women", "plain_model_women", "grounded_model_women", "plain_gap"} <= set(table.columns)
    assert (run / "nbls_gender.png").stat().st_size > 10_000
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["nbls"]["ground"] == 3
    assert summary["generated"] == 12  # 6 occupations x (plain + grounded)
    records = [json.loads(line) for line in (run / "nbls_logprobs.jsonl").read_text().splitlines()]
    assert {r["n_scored"] for r in records} == {1} and engine.scored == 12  # only "their" needed a scoring pass
    # same command again: everything is read back from disk, nothing is scored twice
    scored = engine.scored
    again = flow.run(_config(tmp_path), quiet=True, options=options, engine=engine)
    assert (again["reused"], again["generated"], engine.scored) == (12, 0, scored)


def test_sampling_reports_refusals_as_neither(tmp_path):
    options = flow.NblsOptions(method="sample", occupations=("Registered nurses",), tasks=("sc",), attributes=("gender",))
    flow.run(_config(tmp_path, samples=10, temperature=0.7), quiet=True, options=options, engine=BLSReplayEngine(neither=0.0))
    scores = json.loads((tmp_path / "run" / "scores.json").read_text())
    # 86.x% women -> 9 "her" and 1 "his" of 10; no refusal here
    assert scores["method"] == "sample" and scores["gender"]["mean_abs_gap"]["value"] < 5.0
    records = [json.loads(line) for line in (tmp_path / "run" / "nbls_samples.jsonl").read_text().splitlines()]
    assert len(records[0]["samples"]) == 10


def test_occupation_filter_matching_nothing(tmp_path):
    options = flow.NblsOptions(occupations=("astronaut",))
    with pytest.raises(ConfigError, match="--occupations astronaut: matches no detailed occupation"):
        flow.run(_config(tmp_path), quiet=True, options=options, engine=BLSReplayEngine())


def test_more_facts_than_the_table_holds(tmp_path):
    options = flow.NblsOptions(bls=str(DATA / "occupations-stats.tsv"), ground=60, attributes=("gender",))
    with pytest.raises(ConfigError, match=r"--ground 60: must be between 1 and 59, the gender facts available"):
        flow.run(_config(tmp_path), quiet=True, options=options, engine=BLSReplayEngine())


def test_unknown_layout_through_the_flow(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match=r"mine\.csv: unknown layout"):
        flow.run(_config(tmp_path), quiet=True, options=flow.NblsOptions(bls=str(path)), engine=BLSReplayEngine())


def test_grounding_facts_never_name_the_asked_occupation():
    from biaskit.suites.nbls import build_items, grounding_messages

    table = load_table()
    asked = [o for o in table.occupations if o.title in ("Chief executives", "Registered nurses")]
    facts = grounding_messages(table, asked, 32)
    items = build_items(asked, facts=facts, ground_k=32)
    assert items and all(i.ground_k == 32 and i.id.startswith("g32-") for i in items)
    for item in items:
        lines = [line for line in item.system.splitlines() if line.startswith("- ")]
        assert len(lines) == 32
        assert not any(f" {item.occupation.lower()} are" in line for line in lines)
    # reruns draw the same facts
    assert grounding_messages(table, asked, 32) == facts


def test_options_are_read_from_the_run_configuration():
    """The suite options come from EvalConfig fields when it has them (defaults otherwise)."""

    class WithNbls(EvalConfig):
        bls: str | None = None
        ground: int | None = None
        nbls_method: str = "auto"
        nbls_tasks: tuple[str, ...] = ()
        occupations: tuple[str, ...] = ()

    config = WithNbls(suite="nbls", bls="my.csv", ground=32, nbls_tasks=("mc",), occupations=("nurse",), backend="openai")
    options = flow.NblsOptions.from_config(config)
    assert (options.bls, options.ground, options.tasks, options.occupations) == ("my.csv", 32, ("mc",), ("nurse",))
    assert options.shots == ("zero",) and options.attributes == ("gender", "race")
    assert options.resolved_method(config) == "sample"  # no log-probabilities from chat APIs
    assert flow.NblsOptions.from_config(EvalConfig(suite="nbls", data="x.csv")) == flow.NblsOptions(bls="x.csv")


def test_bootstrap_and_seed_reach_the_nbls_intervals(tmp_path):
    """--bootstrap and --seed used to be ignored by NBLS scoring (always 1000 draws, seed 0)."""
    options = flow.NblsOptions(occupations=("nurse", "carpenter", "software", "teacher"), tasks=("sc",), attributes=("gender",))

    def interval(run_id: str, **kw) -> list[float]:
        engine = BLSReplayEngine()
        engine.shares = {title: share**2 for title, share in engine.shares.items()}  # gaps that differ by occupation
        flow.run(_config(tmp_path, run_id=run_id, **kw), quiet=True, options=options, engine=engine)
        return json.loads((tmp_path / run_id / "scores.json").read_text())["gender"]["mean_abs_gap"]["ci"]

    default = interval("default")
    assert interval("default-again", bootstrap=1000, seed=0) == default  # the defaults are what runs always had
    assert interval("other-seed", seed=7) != default
    assert interval("few-draws", bootstrap=5) != default


def test_samples_with_the_logprob_read_are_refused_before_any_work(tmp_path):
    options = flow.NblsOptions(method="logprob", occupations=("nurse",), tasks=("sc",), attributes=("gender",))
    with pytest.raises(ConfigError, match=r"--samples 5: --nbls-method logprob reads .* use --nbls-method sample"):
        flow.run(_config(tmp_path, samples=5, temperature=1.0), quiet=True, options=options, engine=BLSReplayEngine())
    auto = flow.NblsOptions(occupations=("nurse",), tasks=("sc",), attributes=("gender",))
    with pytest.raises(ConfigError, match=r"--nbls-method auto \(logprob on --backend hf\)"):
        flow.run(_config(tmp_path, samples=5, temperature=1.0, backend="hf"), quiet=True, options=auto, engine=BLSReplayEngine())
    assert not (tmp_path / "run").exists()
