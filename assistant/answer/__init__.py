"""Answering: condense follow-ups, retrieve, abstain or generate, verify citations."""
