"""What a run records about its judge: the spec, its prompt files' hashes and its measured kappa."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from biaskit.engines import resolve_backend
from biaskit.engines.models import check_model
from biaskit.judges import make_judge, parse_spec
from biaskit.judges.revision import judge_revision
from biaskit.paths import cache_dir, data_dir
from biaskit.results.manifest import file_sha256


def judge_prompt_hashes() -> dict[str, str]:
    """sha256 of every judge prompt file, so a changed prompt shows in the manifest."""
    folder = data_dir("judges")
    return {p.name: file_sha256(p) for p in sorted(folder.glob("*")) if p.is_file()}


def judge_settings(spec: str) -> dict[str, Any]:
    parsed = parse_spec(spec)
    engine = parsed.engine.model_dump(mode="json", exclude={"api_key_env"}) if parsed.engine else None
    return {"spec": spec, "name": parsed.name, "engine": engine, "revision": judge_revision(),
            "prompt_hashes": judge_prompt_hashes()}  # fmt: skip


def checked_judge_settings(spec: str) -> dict[str, Any]:
    """:func:`judge_settings`, after checking that the judge's own model exists (a misspelled
    ``llm:MODEL`` is refused before the evaluated model is loaded or any answer is generated)."""
    settings = judge_settings(spec)
    engine = parse_spec(spec).engine
    if engine is not None and resolve_backend(engine.backend) != "openai":
        check_model(engine.model)
    return settings


def shipped_calibration(spec: str) -> dict[str, Any] | None:
    """The calibration shipped with the trained judge's head (``judges/trained/calibration.json``),
    in the shape :func:`judge_calibration` returns, when ``spec`` is the trained judge with the
    shipped head; None otherwise (or when the file does not match the head)."""
    from biaskit.judges.shipped_calibration import load_calibration
    from biaskit.judges.trained import shipped_head_dir

    parsed = parse_spec(spec)
    if parsed.kind != "trained" or parsed.head:
        return None
    data = load_calibration(shipped_head_dir())
    if data is None or not data.get("control"):
        return None
    control, phases = data["control"], data["phases"]
    held = data.get("held_out") or {}
    result: dict[str, Any] = {
        "kappa": control["kappa"], "kappa_ci": control["kappa_ci"], "macro_f1": control.get("macro_f1"), "n": control["n"],
        "control_set": f"CLEAR-Bias control set (800 human-labelled pairs), {control['method']}",
        "confusion": phases["base"]["confusion"], "calibration_source": phases["base"]["source"],
        "calibration_file": "judges/trained/calibration.json (measured when the head was trained)",
        "attack_calibration": {"pooled": phases.get("attacks"), "attacks": data.get("attacks") or {}},
    }  # fmt: skip
    if held:
        result["label_set"] = {name: {k: v for k, v in figures.items()} for name, figures in held.items()}
    return result


def judge_calibration(spec: str, data: str | Path | None = None, quiet: bool = False) -> dict[str, Any]:
    """Agreement of judge ``spec`` with the human control set, cached per spec and prompt files.

    The control set and the judge prompts are fixed, so the figure is computed once per judge and
    reused by every run that uses the same judge.
    """
    from biaskit._version import __version__

    identity = json.dumps(
        {"spec": spec, "prompts": judge_prompt_hashes(), "revision": judge_revision(), "data": str(data or "shipped"), "version": __version__},
        sort_keys=True,
    )
    path = cache_dir() / "calibration" / (hashlib.sha256(identity.encode()).hexdigest()[:16] + ".json")
    if path.is_file():
        return json.loads(path.read_text())
    shipped = shipped_calibration(spec) if data is None else None
    if shipped is not None:
        return shipped
    if not quiet:
        import sys

        print(f"measuring judge {parse_spec(spec).name} on the CLEAR-Bias control set (800 human labels; once per judge, then cached; "
              "a few minutes on a CPU) ...", file=sys.stderr, flush=True)  # fmt: skip
    from biaskit.judges import calibrate
    from biaskit.judges.labelled import shipped_label_set_path

    judge = make_judge(spec)
    try:
        report = calibrate(judge, data)
        held_out = calibrate(judge, data, labels=shipped_label_set_path()) if data is None else None
    finally:
        judge.close()
    summary = report.model_dump(mode="json")
    result = {
        "kappa": summary.get("kappa"),
        "kappa_ci": summary.get("kappa_ci"),
        "macro_f1": summary.get("macro_f1"),
        "n": summary.get("n"),
        "control_set": f"CLEAR-Bias control set (800 human-labelled pairs), {report.method}",
        "confusion": summary["confusion"],
        "calibration_source": "control set",
    }
    if held_out is not None:
        # The judge-corrected scores use every human label the judge was not trained on.
        result["label_set"] = {"kappa": held_out.kappa, "kappa_ci": list(held_out.kappa_ci), "n": held_out.n, "file": held_out.source}
        result["confusion"] = {g: {j: summary["confusion"][g][j] + held_out.confusion[g][j] for j in row} for g, row in summary["confusion"].items()}
        result["calibration_source"] = f"control set ({report.method}) + held-out part of {held_out.source}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    return result
