"""ShopLabel: AI-assisted crowdsourcing for e-commerce search and recommendation labels."""

__all__ = ["__version__"]

__version__ = "0.1.0"
