"""Degradation analyzer: what is wrong with a photo, how badly, and which record fits."""
