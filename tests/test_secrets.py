"""Masking API keys in everything biaskit prints or stores."""

from __future__ import annotations

import pytest

from biaskit._secrets import mask_secrets, register_key_variable

KEY = "sk-proj-Zx81kQ0wLm3nB7vR2tY6uI9oP4aS5dF"


def test_a_key_held_in_a_known_variable_is_masked_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    text = mask_secrets(f"HTTP 401: Incorrect API key provided: {KEY}.")
    assert KEY not in text and "$OPENAI_API_KEY***" in text


def test_a_registered_variable_of_any_name_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVER_CREDENTIAL", "plainvalue-1234567")
    register_key_variable("MY_SERVER_CREDENTIAL")
    assert mask_secrets("refused plainvalue-1234567") == "refused $MY_SERVER_CREDENTIAL***"


def test_key_shaped_text_is_masked_even_when_no_variable_holds_it() -> None:
    text = mask_secrets(f"got {KEY} and hf_abcdefghijklmnopqrstuvwxyz and Bearer abc.def-ghi_jkl")
    assert text == "got sk-*** and hf_*** and Bearer ***"


def test_ordinary_text_is_left_alone() -> None:
    assert mask_secrets("sk-learn is not a key; EMPTY; ask-me-anything") == "sk-learn is not a key; EMPTY; ask-me-anything"
