"""Wire schemas of the JSON API (pydantic v2), one module per resource family.

Naming follows STYLE.md: ``XCreate`` / ``XUpdate`` request bodies, ``XRead`` responses,
``XPage`` pages. Every response model has a ``from_domain`` classmethod.
"""

__all__: list[str] = []
