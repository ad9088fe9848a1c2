"""basket-builder: build, edit and validate Limio partner checkout baskets."""

__version__ = "0.1.0"
