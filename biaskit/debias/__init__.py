"""Constitution-guided speculative debiasing: a draft proposes, a constitution-prompted verifier decides.

Public face: :func:`debias_generate` (library), :class:`DebiasEngine` (an Engine for suites),
:func:`load_constitution`, :func:`load_swaps` and the selection rules in :mod:`biaskit.debias.rules`.
The second method, contrastive activation steering, is :mod:`biaskit.debias.steer`.
"""

from biaskit.debias.api import DebiasResult, debias_generate
from biaskit.debias.constitution import Constitution, load_constitution, shipped_constitutions
from biaskit.debias.counterfactual import Counterfactual, build_counterfactuals, load_swaps
from biaskit.debias.settings import DebiasSettings
from biaskit.debias.stats import PromptStats, RunStats, summarize

__all__ = [
    "Constitution",
    "Counterfactual",
    "DebiasResult",
    "DebiasSettings",
    "PromptStats",
    "RunStats",
    "build_counterfactuals",
    "debias_generate",
    "load_constitution",
    "load_swaps",
    "shipped_constitutions",
    "summarize",
]
