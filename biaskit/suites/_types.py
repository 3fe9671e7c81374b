"""Prompt items: what a suite hands to the engines, one typed record per prompt."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from biaskit.engines._types import ChatRequest


class PromptItem(BaseModel):
    """One prompt of a suite. ``id`` is stable across runs and is the resume key."""

    model_config = ConfigDict(frozen=True)
    id: str
    prompt: str
    system: str | None = None

    def request(self) -> ChatRequest:
        return ChatRequest.user(self.prompt, system=self.system)

    def meta(self) -> dict[str, Any]:
        """Fields copied into each response record, so later stages need not reload the suite."""
        return self.model_dump(exclude={"prompt", "system"})
