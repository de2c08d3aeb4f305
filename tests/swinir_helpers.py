"""Small random SwinIR networks, checkpoint files and an isolated weights folder for fast tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from tools.swinir import weights as registry


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user data folder and no embedded weights (autouse where imported)."""
    monkeypatch.setenv(registry.HOME_ENV, str(tmp_path / "home"))
    monkeypatch.setattr(registry, "EMBEDDED_DIR", tmp_path / "embedded")
    return tmp_path / "home"


def tiny_swinir(in_chans: int = 3, seed: int = 0):
    """A small random SwinIR (same architecture, few channels) for fast tests."""
    import torch

    from tools.swinir.model import SwinIR

    torch.manual_seed(seed)
    return SwinIR(in_chans=in_chans, embed_dim=24, depths=(2, 2), num_heads=(3, 3), window_size=8,
                  mlp_ratio=2.0, img_size=16).eval()


def save_checkpoint(path: Path, in_chans: int = 3, extra: dict | None = None) -> Path:
    """Write a tiny SwinIR checkpoint in the official ``{'params': state_dict}`` layout."""
    import torch

    state = dict(tiny_swinir(in_chans).state_dict())
    state.update(extra or {})
    torch.save({"params": state}, path)
    return path


def save_sr_checkpoint(path: Path) -> Path:
    """A checkpoint shaped like a SwinIR super-resolution model (upsampler tensors added)."""
    import torch

    return save_checkpoint(path, extra={"conv_before_upsample.0.weight": torch.zeros(64, 24, 3, 3),
                                        "upsample.0.weight": torch.zeros(256, 64, 3, 3)})
