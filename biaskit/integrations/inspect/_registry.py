"""The module inspect_ai's entry point (``[project.entry-points.inspect_ai]``) loads: importing it
registers the tasks, scorers and metrics below as ``biaskit/<name>``."""

from biaskit.integrations.inspect._metrics import fairness, robustness, safety
from biaskit.integrations.inspect._scorer import biaskit_judge
from biaskit.integrations.inspect._task import clear_bias

__all__ = ["biaskit_judge", "clear_bias", "fairness", "robustness", "safety"]
