"""Retrieval store restricted to the loaded records."""
