"""What the agent can do: retrieval over the records, SwinIR denoising, degradation analysis."""
