"""dataprep package."""

__all__: list[str] = []
