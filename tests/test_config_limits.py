"""Hostile configs are refused cheaply (issue 22, defect 9): a YAML alias bomb, a config of many
megabytes, and error messages that quote a huge value."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from biaskit.config import MAX_CONFIG_BYTES, EvalConfig, build_config, read_config_file
from biaskit.errors import ConfigError, shorten

# 342 bytes that expand to 9**9 strings (about 390 million) when aliases are followed
BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefg", "bcdefgh")),
        f"tasks: [{','.join(['*h'] * 9)}]",
    ]
)


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"line 2 uses a YAML alias \(\*a\)"):
        read_config_file(path)
    assert time.monotonic() - started < 2


def test_a_config_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("limit: 10\n" + "# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    started = time.monotonic()
    with pytest.raises(ConfigError, match=f"--config {path}: larger than 1 MB"):
        read_config_file(path)
    assert time.monotonic() - started < 2


def test_an_error_quoting_a_huge_nested_value_stays_short_and_fast() -> None:
    value: list = ["lol"] * 9
    for _ in range(8):
        value = [value] * 9  # shared, as an alias bomb builds it: 9**9 strings if written out
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        build_config(EvalConfig, {}, {"tasks": value})
    assert time.monotonic() - started < 2
    assert len(str(caught.value)) < 400
    assert shorten(value).endswith("... (cut)") and len(shorten(value)) <= 80


def test_shorten_quotes_small_values_as_before() -> None:
    for value in ([1, 2], (1,), {"a": [1, (2, 3)], "b": set()}, frozenset({1}), "text", 3.5):
        assert shorten(value) == repr(value)
    assert shorten(list(range(10))) == repr(list(range(10)))


def test_ordinary_configs_still_load(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("limit: 10\ntasks: [SC]\n")
    assert read_config_file(path) == {"limit": 10, "tasks": ["SC"]}
