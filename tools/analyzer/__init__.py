"""Degradation analyzer: what is wrong with a photo, how badly, and which record fits.

``analyze(image) -> Analysis`` runs every measurement; ``estimate_noise_sigma(pixels)`` is the noise level
alone (0..255 scale); ``recommend(findings, suggested_noise_level, records)`` maps findings onto loaded
records. No torch here.
"""
from tools.analyzer.analysis import Analysis, analyze
from tools.analyzer.finding import Finding
from tools.analyzer.noise import estimate_noise_sigma, measure_noise
from tools.analyzer.recommend import Recommendation, recommend

__all__ = ["Analysis", "Finding", "Recommendation", "analyze", "estimate_noise_sigma", "measure_noise", "recommend"]
