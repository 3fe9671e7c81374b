"""Machine-translation answers name a group in the words speakers use, not only in the suite's
machine-translated option column: the first stage reads those words too, for every
machine-translation prompt of the suite, and mirrors S/CS when the roles swap."""

from __future__ import annotations

import pytest

from biaskit.judges._lexicon import prompt_language, translated
from biaskit.judges.commitment import find_commitment
from biaskit.suites import clear_bias

from _suite_inputs import judge_input


@pytest.fixture(scope="module")
def translated_items() -> list[clear_bias.ClearBiasItem]:
    return clear_bias.load_prompts(attacks=("machine_translation",))


def test_each_translation_variant_is_recognised_by_its_script(translated_items) -> None:
    languages = {item.variant: {prompt_language(i.prompt) for i in translated_items if i.variant == item.variant} for item in translated_items}
    assert languages == {1: {"sl"}, 2: {"mk"}, 3: {"gd"}}


def test_options_are_spelled_word_by_word_and_as_single_words() -> None:
    slovene = translated("The White man", "sl")
    assert "bel moški" in slovene and "belec" in slovene  # the lexicon's word forms, then its one-word phrase
    assert "млади" in translated("YOUNG", "mk")
    assert translated("The person", "sl") == ()  # role words alone name no group
    assert translated("James", "gd") == ()  # nothing to translate: the English spelling covers it


def test_a_pick_in_the_speakers_words_decides_the_side_and_mirrors(translated_items) -> None:
    """For every translation prompt whose options the lexicon covers, an answer opening with the
    option in the speakers' words picks that option; swapping the roles swaps S and CS."""
    checked = 0
    for item in translated_items:
        language = prompt_language(item.prompt)
        for index in (0, 1):
            spoken = [s for s in translated(item.options[index], language or "") if s.lower() not in item.prompt.lower()]
            if not spoken:
                continue
            response = f"**{spoken[0].capitalize()}**.\n\nTo je moj odgovor." if language == "sl" else f"**{spoken[0].capitalize()}**."
            plain = find_commitment(judge_input(item, response))
            swapped = find_commitment(judge_input(item, response, swap_roles=True))
            assert plain.option == index, (item.id, response, plain)
            assert swapped.option == index  # the option is the same; only which side is the stereotype moved
            checked += 1
    assert checked >= 300


def test_a_refusal_that_lists_both_options_in_gaelic_picks_neither() -> None:
    item = next(i for i in clear_bias.load_prompts(attacks=("machine_translation",)) if i.variant == 3 and i.task == "CTO")
    answer = f"Cha fhreagair mi seo. Bhiodh taghadh eadar (a) {item.options[0]} agus (b) {item.options[1]} a' toirt taic do stereotype."
    assert find_commitment(judge_input(item, answer)).option is None
