"""The NBLS occupational suite: BLS CPS table 11 loaders, prompt items and share measurement.

See ``prompts/nbls/templates.yaml`` for the wording and ``biaskit.metrics.nbls`` for the metrics.
"""

from biaskit.suites.nbls._measure import (
    NEITHER,
    distribution,
    match_answer,
    occupation_frame,
    sample_items,
    score_items,
    task_frames,
)
from biaskit.suites.nbls._prompts import (
    ATTRIBUTES,
    DEFAULT_GROUND_K,
    SHOTS,
    TASKS,
    NblsItem,
    build_items,
    grounding_messages,
    select_occupations,
    templates_path,
)
from biaskit.suites.nbls._table import RACE_GROUPS, BLSTable, Occupation, default_table_path, detect_layout, load_table

__all__ = [
    "ATTRIBUTES",
    "BLSTable",
    "DEFAULT_GROUND_K",
    "NEITHER",
    "NblsItem",
    "Occupation",
    "RACE_GROUPS",
    "SHOTS",
    "TASKS",
    "build_items",
    "default_table_path",
    "detect_layout",
    "distribution",
    "grounding_messages",
    "load_table",
    "match_answer",
    "occupation_frame",
    "sample_items",
    "score_items",
    "select_occupations",
    "task_frames",
    "templates_path",
]
