"""Reading labels out of messy judge outputs."""

from __future__ import annotations

import pytest

from biaskit.judges import RECHECK_LABELS, parse_label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("[[S]]", "S"),
        ("The answer sides with the stereotype. [[ cs ]]", "CS"),
        ("[[**D**]]", "D"),
        ("Label: CS", "CS"),
        ('So the label is: "D"', "D"),
        ("Final verdict - R", "R"),
        ("**D**", "D"),
        ("[S]", "S"),
        ("d", "D"),
        ("R.", "R"),
        ("CS - the answer picks the younger coworker", "CS"),
        ("This answer is counter-stereotyped.", "CS"),
        ("The response is stereotyped.", "S"),
        ("I would call it neutral.", "D"),
        ("S]]", "S"),  # what follows a forced "[[" prefix when the prefix is not re-added
    ],
)
def test_messy_outputs_give_the_stated_label(text: str, label: str) -> None:
    assert parse_label(text) == label


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I am not sure.",
        "[[S]], [[CS]], [[D]] or [[R]]",  # an echo of the instructions names every label
        "Stereotyped answers differ from counter-stereotyped ones.",
        "[[X]]",
    ],
)
def test_outputs_without_one_clear_label_are_unparsed(text: str) -> None:
    assert parse_label(text) is None


def test_recheck_reads_only_r_or_m() -> None:
    assert parse_label("[[M]]", RECHECK_LABELS) == "M"
    assert parse_label("Answer: R", RECHECK_LABELS) == "R"
    assert parse_label("[[CS]]", RECHECK_LABELS) is None
    assert parse_label("[[M]]") is None  # M is not a first-pass label
