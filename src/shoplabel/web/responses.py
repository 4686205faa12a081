"""JSON responses serialised once, for the hot labelling routes.

A route that returns a pydantic model has FastAPI validate it again against the response
model and then encode it in two steps; on next-task and submit that showed in the request
profile. These routes still declare their schema (``response_model``, so OpenAPI is
unchanged) but return the model's own ``model_dump_json`` bytes.
"""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response

__all__ = ["model_response"]


def model_response(model: BaseModel, *, status_code: int = 200) -> Response:
    """``model`` as an ``application/json`` response, encoded by pydantic in one pass."""
    return Response(
        content=model.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
    )
