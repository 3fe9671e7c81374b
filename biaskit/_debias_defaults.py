"""Default settings of a debiasing run, in one place for ``biaskit.debias``, the CLI and ``--debias``.

A module of its own, outside ``biaskit.debias``, so the CLI can show the defaults without importing
torch. Chosen from the dose-response study (``results/studies/debias-sweep/``; the README's
debiasing section says why).
"""

from typing import Final

RULE: Final = "normalised"
GAMMA = 4
ALPHA = 1.0  # weight per nat of divergence (reference and constitutional rules)
FAIRNESS = 1.0  # strength of the fairness term in [0, 1] (normalised rule)
MARGIN = 0.5  # nats
TOP_K = 5
