"""jobs package."""

__all__: list[str] = []
