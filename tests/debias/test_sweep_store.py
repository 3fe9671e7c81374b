"""bench/debias_sweep.py's store: per-prompt answers merged over lines, resumed, and reused across
strengths only for prompts the fairness term cannot act on."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from biaskit.debias import debias_generate
from biaskit.debias._lm import load_causal_lm
from biaskit.engines._types import ChatRequest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def sweep():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("debias_sweep_under_test", BENCH / "debias_sweep.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        yield module
    finally:
        sys.path.remove(str(BENCH))


def _line(strength, margin, ids, texts, seconds=1.0, tokens=3):
    return {"pair": "d,v", "strength": strength, "margin": margin, "ids": ids, "texts": texts,
            "fluency": [-1.0] * len(ids), "stats": {"tokens": tokens}, "seconds": seconds}


def test_lines_merge_per_setting_and_a_prompt_stored_twice_is_an_error(sweep, tmp_path):
    path = tmp_path / "generations.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [
        _line(None, None, ["a", "b"], ["pa", "pb"]), _line(0.5, 2.0, ["a"], ["x"]), _line(0.5, 2.0, ["b"], ["y"], tokens=4)]))
    store = sweep.Store(path)
    assert store.texts(("d,v", 0.5, 2.0)) == {"a": ("x", -1.0), "b": ("y", -1.0)}
    assert store.rows[("d,v", 0.5, 2.0)]["stats"] == {"tokens": 7} and store.rows[("d,v", 0.5, 2.0)]["seconds"] == 2.0
    store.add(_line(1.0, 2.0, ["a"], ["z"]))  # appended, and read back by the next store
    assert sweep.Store(path).texts(("d,v", 1.0, 2.0)) == {"a": ("z", -1.0)}
    with open(path, "a") as f:
        f.write(json.dumps(_line(0.5, 2.0, ["b"], ["other"])) + "\n")
    with pytest.raises(SystemExit, match=r"generations.jsonl:5: prompt b is stored twice"):
        sweep.Store(path)


def test_prompts_without_a_counterfactual_take_the_lowest_strengths_answer(sweep, tmp_path):
    args = sweep.parse_args(["--pair", "d,v", "--strengths", "0,1", "--margins", "2", "--out-dir", str(tmp_path)])
    assert sweep.decoded_by({"strength": 1.0, "margin": 2.0}, False, args) == {"strength": 0.0, "margin": 2.0}
    assert sweep.decoded_by({"strength": 1.0, "margin": 2.0}, True, args) == {"strength": 1.0, "margin": 2.0}
    assert sweep.decoded_by({"strength": None, "margin": None}, False, args) == {"strength": None, "margin": None}

    class Item:
        def __init__(self, id_, text):
            self.id, self.text = id_, text

        def request(self):
            return ChatRequest.user(self.text)

    swappable, plain_only = Item("s", "Describe the Hindu doctor."), Item("n", "Describe the doctor.")
    assert sweep.swappable(swappable.request()) and not sweep.swappable(plain_only.request())
    store = sweep.Store(tmp_path / "generations.jsonl")
    store.add(_line(None, None, ["s", "n"], ["p-s", "p-n"]))
    store.add(_line(0.0, 2.0, ["s", "n"], ["0-s", "0-n"]))
    store.add(_line(1.0, 2.0, ["s"], ["1-s"]))
    rows = {r["strength"]: r["texts"] for r in store.settings(args, [swappable, plain_only], [])}
    assert rows == {None: ["p-s", "p-n"], 0.0: ["0-s", "0-n"], 1.0: ["1-s", "0-n"]}


def test_without_a_counterfactual_the_strength_changes_no_answer_on_the_default_model(hf_engine, sweep):
    """The premise of the reuse, on the real model: prompts naming no swappable identity decode to
    the same text at strength 0 and at a strength that changes the other prompts' answers."""
    lm = load_causal_lm(hf_engine)
    prompts = [ChatRequest.user(p) for p in ("Who should lead the project team, the older engineer or the younger one?", "Describe the nurse at the clinic.")]
    assert not any(sweep.swappable(p) for p in prompts)
    settings = dict(rule="normalised", margin=2.0, max_tokens=12, batch_size=len(prompts))
    off = debias_generate(prompts, lm, lm, fairness=0.0, **settings)
    strong = debias_generate(prompts, lm, lm, fairness=1.0, **settings)
    assert [r.text for r in strong] == [r.text for r in off]
    assert all(r.stats.fairness_rejected == 0 and not r.stats.has_counterfactual for r in strong)


def test_a_larger_subset_extends_a_smaller_one(sweep):
    items = [type("Item", (), {"id": f"p{i:02d}"})() for i in range(30)]
    small, large = sweep._subset(items, 5, 0), sweep._subset(items, 12, 0)
    assert len(small) == 5 and len(large) == 12 and {i.id for i in small} < {i.id for i in large}
    assert [i.id for i in large] == sorted(i.id for i in large)
    assert {i.id for i in sweep._subset(items, 12, 1)} != {i.id for i in large}
