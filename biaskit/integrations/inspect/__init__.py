"""biaskit in inspect_ai (``pip install biaskit[inspect]``).

``inspect eval biaskit/clear_bias --model PROVIDER/MODEL`` runs CLEAR-Bias with biaskit's judge as
the scorer and biaskit's safety, robustness and fairness as metrics; ``import_log`` (``biaskit
import-inspect LOG``) turns the eval log into a biaskit run directory for reports and the leaderboard.
"""

from biaskit.integrations.inspect._import import ImportedRun, import_log
from biaskit.integrations.inspect._metrics import fairness, robustness, safety
from biaskit.integrations.inspect._scorer import biaskit_judge
from biaskit.integrations.inspect._task import clear_bias

__all__ = ["ImportedRun", "biaskit_judge", "clear_bias", "fairness", "import_log", "robustness", "safety"]
