"""Photos and SwinIR weights for the agent tests."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SHARED_CHECKPOINT = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "swinir" / "color_small.pth"


def noisy_crop(path: Path, top: int, left: int, sigma: float, seed: int) -> Path:
    """A 96 x 96 crop of the scikit-image astronaut with Gaussian noise of ``sigma``, saved as PNG."""
    from skimage import data

    clean = data.astronaut()[top:top + 96, left:left + 96].astype(float)
    noisy = np.clip(clean + np.random.default_rng(seed).normal(0, sigma, clean.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def weights_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment whose ``RESTORE_AGENT_HOME`` has noise-15 weights (the shipped ones, else ../shared's)."""
    from tools.swinir import weights as registry

    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, registry.HOME_ENV: str(home)}
    for name in ("RESTORE_AGENT_LLM", "RESTORE_AGENT_MODEL", "OPENAI_BASE_URL"):
        env.pop(name, None)
    if registry.embedded_default() is None:
        if not SHARED_CHECKPOINT.is_file():
            pytest.skip(f"no SwinIR weights: neither shipped weights nor {SHARED_CHECKPOINT} (../shared is absent)")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(registry.HOME_ENV, str(home))
            registry.install(SHARED_CHECKPOINT, "swinir-m-color-noise15")
    return env
