"""Degradation analyzer: what is wrong with a photo, how badly, and which record fits.

``analyze(image) -> Analysis`` runs every measurement; ``estimate_noise_sigma(pixels)`` is the noise level
alone (0..255 scale); ``recommend(analysis, records)`` maps findings onto loaded records. No torch here.
"""
from tools.analyzer.analysis import Analysis, Finding, analyze
from tools.analyzer.noise import estimate_noise_sigma, measure_noise
from tools.analyzer.recommend import Recommendation, recommend

__all__ = ["Analysis", "Finding", "Recommendation", "analyze", "estimate_noise_sigma", "measure_noise", "recommend"]
