"""inference package."""

__all__: list[str] = []
