"""Prefect flows: one flow per file."""
