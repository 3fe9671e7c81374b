"""Constitutions load by name or path; bad names and files give one clear error."""

from __future__ import annotations

import pytest

from biaskit.debias.constitution import load_constitution, shipped_constitutions
from biaskit.errors import ConfigError, DataError


def test_shipped_constitutions_load_by_name():
    assert {"india_articles_14_17", "anti_discrimination"} <= set(shipped_constitutions())
    india = load_constitution("india_articles_14_17")
    assert "caste" in india.text and "untouchability" in india.text.lower()
    assert "religion" in load_constitution("anti_discrimination").text


def test_user_file_by_path(tmp_path):
    mine = tmp_path / "mine.md"
    mine.write_text("Treat everyone the same.\n")
    loaded = load_constitution(str(mine))
    assert loaded.text == "Treat everyone the same." and loaded.name == "mine"


def test_unknown_name_lists_the_shipped_ones():
    with pytest.raises(ConfigError, match="unknown constitution 'magna_carta'.*india_articles_14_17"):
        load_constitution("magna_carta")


def test_unreadable_or_empty_file(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        load_constitution(str(tmp_path / "missing.md"))
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    with pytest.raises(DataError, match="is empty"):
        load_constitution(str(empty))
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DataError, match="cannot be read"):
        load_constitution(str(binary))
