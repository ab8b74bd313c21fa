"""Evaluation: the curated Q&A set, metrics (pure functions) and the runner."""
