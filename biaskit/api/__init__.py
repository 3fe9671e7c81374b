"""biaskit's Python API: what the ``biaskit`` command does, as calls a notebook can make.

    import biaskit

    run = biaskit.evaluate("smollm2-135m", limit=20, backend="hf")   # biaskit eval
    run.categories()                     # per-category robustness, fairness, safety with intervals
    run.labels()                         # one row per judged answer
    biaskit.open_run("results/<run_id>").compare(run)                 # biaskit compare
    biaskit.judge(run, judge="hybrid")   # biaskit judge --run (biaskit.api.judge_run: its summary)
    biaskit.calibrate(judge="trained")   # biaskit judge calibrate
    biaskit.leaderboard("results", "site", formats=["lm-eval"])       # biaskit leaderboard

Every name here is also importable from ``biaskit`` itself.
"""

from biaskit.api._calls import calibrate, evaluate, judge, judge_run, leaderboard
from biaskit.results.run import Run, open_run

__all__ = ["Run", "calibrate", "evaluate", "judge", "judge_run", "leaderboard", "open_run"]
