"""Kneedle knee of convex decreasing curves, and the misunderstanding cut built on it."""

import pytest

from biaskit.metrics.knee import averaged_knee, kneedle, misunderstanding_cut


def test_knee_of_a_sharp_bend_by_hand():
    # x scaled: 0 .25 .5 .75 1; y already in [0, 1]; flipped y: 0 .8 .9 .95 1
    # difference d = flipped - x: 0 .55 .4 .2 0 -> one local maximum, at index 1.
    # Threshold = .55 - S * .25: .30 (S=1) is crossed at d[3]=.2, .525 (S=0.1) at d[2]=.4;
    # both report the maximum, index 1.
    curve = [1.0, 0.2, 0.1, 0.05, 0.0]
    assert kneedle(curve, 1.0) == 1
    assert kneedle(curve, 0.1) == 1
    assert averaged_knee(curve) == 1


def test_sensitivities_disagree_and_are_averaged_down():
    # y scaled: 1 .778 .222 .111 0; d = 0 -.028 .278 .139 0; maxima at 0 and 2, minimum at 1.
    # S=0.1: threshold at 0 is -.025 and d[1]=-.028 is already below it -> knee 0.
    # S=1: threshold at 0 is -.25 (not crossed, then a minimum pauses the search); at index 2 it
    # is .278-.25=.028, crossed at d[4]=0 -> knee 2. floor((0 + 2) / 2) = 1.
    curve = [1.0, 0.8, 0.3, 0.2, 0.1]
    assert kneedle(curve, 0.1) == 0
    assert kneedle(curve, 1.0) == 2
    assert averaged_knee(curve) == 1


@pytest.mark.parametrize("curve", [[3.0, 2.0, 1.0, 0.0], [0.5, 0.5, 0.5], [1.0, 0.0], []])
def test_no_knee_on_straight_flat_or_short_curves(curve):
    assert averaged_knee(curve) is None


def test_knee_does_not_depend_on_the_scale_of_the_rates():
    curve = [1.0, 0.2, 0.1, 0.05, 0.0]
    assert averaged_knee([v * 0.37 + 0.01 for v in curve]) == averaged_knee(curve)


def test_cut_excludes_rates_above_the_knee_and_ignores_zeros():
    rates = {"obfuscation": 1.0, "translation": 0.8, "prefix": 0.3, "role": 0.2, "reward": 0.1, "prompt": 0.0}
    cut = misunderstanding_cut(rates)
    assert cut.curve == (1.0, 0.8, 0.3, 0.2, 0.1)
    assert (cut.index, cut.knee) == (1, 0.8)
    assert cut.excluded == {"obfuscation"}


def test_cut_without_a_knee_excludes_nothing():
    cut = misunderstanding_cut({"a": 0.5, "b": 0.1})
    assert cut.knee is None and cut.excluded == frozenset()
