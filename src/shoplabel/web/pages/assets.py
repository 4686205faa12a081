"""plotly's bundled JavaScript, served from the installed ``plotly`` package (no copy in git)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from shoplabel.errors import NotFound

__all__ = ["PLOTLY_URL", "router"]

PLOTLY_URL = "/assets/plotly.min.js"

router = APIRouter(include_in_schema=False)


def _plotly_js() -> Path:
    try:
        path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    except ModuleNotFoundError:
        raise NotFound("plotly is not installed; `pip install plotly` for charts") from None
    if not path.is_file():
        raise NotFound("plotly.min.js is missing from the installed plotly package")
    return path


@router.get(PLOTLY_URL, response_class=FileResponse)
def plotly_js() -> FileResponse:
    """plotly.min.js, cacheable for a day (its version changes only with the package)."""
    return FileResponse(
        _plotly_js(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )
