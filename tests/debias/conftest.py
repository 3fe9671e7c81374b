"""The tiny draft and verifier models of the debias tests (see ``_tiny_models``), made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from _tiny_models import make_tiny_model


@pytest.fixture(scope="session")
def tiny_model_factory():
    """``make_tiny_model`` for tests that need a model of their own (a fixture, since the name
    ``tests`` is taken in site-packages by ppi-python's wheel, so ``tests.debias`` cannot be imported)."""
    return make_tiny_model


@pytest.fixture(scope="session")
def tiny_draft(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("draft"), "metaspace", seed=1)


@pytest.fixture(scope="session")
def tiny_verifier(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("verifier"), "bytes", seed=2)
