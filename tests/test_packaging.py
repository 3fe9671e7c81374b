"""What the package carries: its version from a leaf module, and a wheel with only the data it reads."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

import pytest

import biaskit
from biaskit._version import __version__

REPO = Path(__file__).resolve().parents[1]


def test_the_version_comes_from_a_leaf_module_that_no_module_bypasses() -> None:
    assert biaskit.__version__ == __version__
    tree = ast.parse((REPO / "biaskit" / "_version.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("biaskit")]
    readers = []  # modules that import the package facade itself (an import circle through biaskit/__init__)
    for path in sorted((REPO / "biaskit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(alias.name == "biaskit" for alias in node.names):
                readers.append(str(path.relative_to(REPO)))
    assert readers == []


def test_the_wheel_ships_no_labelling_tools_or_working_files(tmp_path: Path) -> None:
    build = pytest.importorskip("hatchling.build")
    import os

    here = os.getcwd()
    os.chdir(REPO)
    try:
        wheel = tmp_path / build.build_wheel(str(tmp_path))
    finally:
        os.chdir(here)
    names = zipfile.ZipFile(wheel).namelist()
    assert "biaskit/_data/judges/clear_bias_judge.md" in names and "biaskit/_data/judges/trained/head.json" in names
    assert "biaskit/_data/judges/labels/clear-bias-small-models.jsonl" in names
    assert any(n.startswith("biaskit/_data/prompts/") for n in names)
    assert not [n for n in names if "/labels/tools/" in n or "/labels/work/" in n or "/written/work/" in n]
