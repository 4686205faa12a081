"""storage package."""

__all__: list[str] = []
