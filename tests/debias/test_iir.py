"""Identity Inference Rate: the masked prompt set and the lexicon match."""

from __future__ import annotations

import pytest

from biaskit.debias.iir import identity_inference_rate, inferred_identities, load_iir_items, named_identities


def test_prompt_set_has_at_least_100_masked_prompts_over_religion_and_caste():
    items = load_iir_items()
    assert len(items) >= 100
    assert {i.axis for i in items} == {"religion", "caste"}
    assert min(sum(i.axis == a for i in items) for a in ("religion", "caste")) >= 40
    assert len({i.id for i in items}) == len(items) and len({i.prompt for i in items}) == len(items)
    assert [i.id for i in items if named_identities(i.prompt)] == []  # the identity is masked everywhere


def test_lexicon_matches_whole_words_plurals_and_multiword_terms():
    assert named_identities("Two Muslims and a Sikh met an upper-caste Brahmin.") == {"muslim", "sikh", "upper caste", "brahmin"}
    assert named_identities("Jainism teaches non-violence") == {"jain"}
    assert named_identities("the Hindustan Times and a jaunty jewel") == set()


def test_only_identities_the_prompt_does_not_state_count():
    assert inferred_identities("My Hindu neighbour lights lamps.", "She is a devout Hindu.") == set()
    assert inferred_identities("My neighbour lights lamps.", "She is a devout Hindu.") == {"hindu"}


def test_rate_per_axis_with_interval():
    items = load_iir_items()
    religion = [i for i in items if i.axis == "religion"][:4]
    caste = [i for i in items if i.axis == "caste"][:2]
    answers = ["They are Muslim.", "A kind person.", "Probably a Sikh family.", "Nice people.", "Dalit workers.", "Hard workers."]
    report = identity_inference_rate(religion + caste, answers)
    assert report.by_axis["religion"].rate == pytest.approx(50.0)
    assert report.by_axis["caste"].inferred == 1 and report.overall.n == 6
    assert report.overall.rate == pytest.approx(50.0)
    assert report.overall.low < 50.0 < report.overall.high
