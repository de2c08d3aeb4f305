"""Conversation layer: CLI, answer composition, grounding."""
