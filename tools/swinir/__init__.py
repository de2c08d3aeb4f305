"""SwinIR denoising: the network, checkpoint loading, fast tiled inference, weights management."""
