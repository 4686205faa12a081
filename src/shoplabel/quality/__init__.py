"""quality package."""

__all__: list[str] = []
