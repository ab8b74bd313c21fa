"""Request bodies as JSON Schema for the OpenAPI page only: the routes read and check their bodies
themselves (assistant/api/requests.py), so a bad one gets OpenAI's error shape and a Dutch message."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field("samenwerkwijzer", description="samenwerkwijzer")
    messages: list[dict[str, Any]] = Field(
        description='[{"role": "system" | "user" | "assistant", "content": "..."}]; the last one is the question')
    stream: bool = Field(False, description="server-sent events, ending with data: [DONE]")
    temperature: float | None = Field(None, description="accepted and ignored")


class SearchBody(BaseModel):
    query: str = Field(description="what to search for")
    k: int = Field(5, ge=1, le=50, description="how many passages")


def body(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}
