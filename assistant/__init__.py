"""Samenwerkwijzer: a Dutch-first, grounded advisory assistant about collaboration in education."""

__version__ = "0.1.0"
