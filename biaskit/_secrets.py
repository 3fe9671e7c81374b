"""Masking secrets in text biaskit prints, logs or stores.

Servers often quote the key they refused ("Incorrect API key provided: sk-proj-..."), and that
text would otherwise reach the terminal, the manifest's ``error`` and the published run page.
:func:`mask_secrets` replaces, in any text, the values of the environment variables that hold keys
(the usual names, any ``*_API_KEY`` / ``*_TOKEN`` / ``*_SECRET`` variable, and every variable an
engine was told to read with ``--api-key-env``) and anything shaped like a key (``sk-...``,
``hf_...``, a bearer token), whether or not it is set here.
"""

from __future__ import annotations

import os
import re

KNOWN_KEY_VARS = ("OPENAI_API_KEY", "BIASKIT_API_KEY", "DEEPSEEK_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
_SECRET_NAME = re.compile(r"(?:API_?KEY|TOKEN|SECRET|PASSWORD)$", re.I)
_MIN_VALUE = 8  # shorter values ("EMPTY", "1") would mask ordinary words
_KEY_SHAPES = (
    re.compile(r"\bsk-[A-Za-z0-9_\-*.]{12,}"),  # OpenAI and compatible APIs (sk-..., sk-proj-...)
    re.compile(r"\bhf_[A-Za-z0-9]{10,}"),  # Hugging Face tokens
    re.compile(r"(?<=Bearer )[A-Za-z0-9_\-.~+/]{8,}=*", re.I),
)
_registered: set[str] = set()


def register_key_variable(name: str) -> None:
    """Also mask the value of environment variable ``name`` (the one an engine reads its key from)."""
    _registered.add(name)


def _secret_values() -> list[tuple[str, str]]:
    names = set(KNOWN_KEY_VARS) | _registered | {n for n in os.environ if _SECRET_NAME.search(n)}
    found = [(name, os.environ.get(name, "")) for name in names]
    # the longest first, so that a key containing another is masked whole
    return sorted(((n, v) for n, v in found if len(v.strip()) >= _MIN_VALUE), key=lambda nv: -len(nv[1]))


def mask_secrets(text: str) -> str:
    """``text`` with every key value replaced by ``***`` (``$NAME***`` when its variable is known)."""
    for name, value in _secret_values():
        if value in text:
            text = text.replace(value, f"${name}***")
    for shape in _KEY_SHAPES:
        text = shape.sub(lambda m: m.group(0)[:3] + "***" if m.group(0)[:3] in ("sk-", "hf_") else "***", text)
    return text
