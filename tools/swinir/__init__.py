"""SwinIR denoising: the network, checkpoint loading, fast tiled inference, weights management."""
from tools.swinir.loading import load_swinir

__all__ = ["load_swinir"]
