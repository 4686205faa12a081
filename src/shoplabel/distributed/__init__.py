"""distributed package."""

__all__: list[str] = []
