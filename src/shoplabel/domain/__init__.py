"""domain package."""

__all__: list[str] = []
