"""Ingestion: load files, clean their text, chunk it, and store near-duplicate passages once."""
