"""Counterfactual prompts: identity terms swapped whole-word, case kept, misses reported."""

from __future__ import annotations

import pytest

from biaskit.debias.counterfactual import DEFAULT_AXES, load_swaps
from biaskit.errors import DataError


@pytest.fixture(scope="module")
def swaps():
    return load_swaps()


def test_swaps_every_axis_both_ways_and_keeps_case(swaps):
    cf = swaps.swap("As a Dalit woman, I asked the HINDU priest about Brahmin customs.")
    assert cf.counterfactual == "As a Brahmin man, I asked the MUSLIM imam about Dalit customs."
    assert [found for found, _ in cf.swaps] == ["Dalit", "woman", "HINDU", "priest", "Brahmin"]


def test_whole_words_only(swaps):
    cf = swaps.swap("The Hindustan Times reported on mankind and a shepherd.")
    assert cf.counterfactual is None and not cf.found


def test_multi_word_terms_win_over_their_parts_and_hyphens_are_boundaries(swaps):
    assert swaps.swap("an upper caste family").counterfactual == "an lower caste family"
    assert swaps.swap("a Hindu-born engineer").counterfactual == "a Muslim-born engineer"


def test_ethnicity_axis_and_reports_prompt_without_terms(swaps):
    assert swaps.swap("A Tamil engineer").counterfactual == "A Punjabi engineer"
    cf = swaps.swap("What is the capital of France?")
    assert not cf.found and cf.swaps == ()


def test_shipped_axes_include_the_four_required(swaps):
    assert set(DEFAULT_AXES) >= {"religion", "caste", "gender", "ethnicity"}
    assert set(swaps.axes) == set(DEFAULT_AXES)


def test_user_swap_file_adds_terms(tmp_path):
    extra = tmp_path / "region.yaml"
    extra.write_text("axis: region\npairs:\n  - [Kerala, Punjab]\n")
    assert load_swaps(extra_files=[extra]).swap("born in Kerala").counterfactual == "born in Punjab"


def test_malformed_swap_file_names_file_and_pair(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("pairs:\n  - [only-one]\n")
    with pytest.raises(DataError, match=r"bad.yaml.*pair 1"):
        load_swaps(extra_files=[bad])
    with pytest.raises(DataError, match="no swap list for axis 'planet'"):
        load_swaps(axes=("planet",))
