"""Suite flows: the order of stages (generate, judge, score, attack) for each suite."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from biaskit.config import EvalConfig


def run_eval(config: EvalConfig, quiet: bool = False) -> dict[str, Any]:
    """Run the flow ``config`` asks for (debiased pair, CLEAR-Bias or NBLS) and return its summary.

    ``biaskit eval`` and :func:`biaskit.evaluate` both go through here; each flow is imported only
    when chosen (they pull in pandas, the engines and the judges).
    """
    if config.debias:
        from biaskit.flows import debiased as flow
    elif config.suite == "clear-bias":
        from biaskit.flows import clear_bias as flow  # type: ignore[no-redef]
    else:
        from biaskit.flows import nbls as flow  # type: ignore[no-redef]
    return flow.run(config, quiet=quiet)
