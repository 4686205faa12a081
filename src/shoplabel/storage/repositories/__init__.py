"""SQLAlchemy implementations of the ports in ``shoplabel.domain.ports``."""

__all__: list[str] = []
