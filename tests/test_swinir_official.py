"""`denoise --no-match`: the network run exactly as the official SwinIR test script (main_test_swinir.py) runs it,
checked end to end through the command line against the script's steps and the official conformance vectors."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.cli_run import run_cli
from tests.swinir_helpers import home  # noqa: F401 (fixture: an empty weights folder)
from tools.swinir import load_swinir
from tools.swinir.official import flip_pad
from tools.swinir.service import UNMATCHED_NOTE

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "test" / "RealSRSet"
IDS = {3: "swinir-m-color-noise15", 1: "swinir-m-gray-noise15"}


def official_script(model, image: torch.Tensor) -> np.ndarray:
    """main_test_swinir.py's steps on (1, C, H, W) float32 in [0, 1], written out as the script writes them:
    mirror padding to the next multiple of the window beyond the size, one forward pass, crop, clamp; float
    (H, W[, C]) in [0, 1]."""
    window = model.window_size
    _, _, h_old, w_old = image.size()
    h_pad = (h_old // window + 1) * window - h_old
    w_pad = (w_old // window + 1) * window - w_old
    image = torch.cat([image, torch.flip(image, [2])], 2)[:, :, :h_old + h_pad, :]
    image = torch.cat([image, torch.flip(image, [3])], 3)[:, :, :, :w_old + w_pad]
    with torch.no_grad():
        output = model(image)[..., :h_old, :w_old]
    output = output.data.squeeze().float().cpu().clamp_(0, 1).numpy()
    return np.transpose(output, (1, 2, 0)) if output.ndim == 3 else output


def as_tensor(pixels: np.ndarray) -> torch.Tensor:
    """H x W (x 3) pixels as the script's (1, C, H, W) input: uint8 over 255, float taken as it is."""
    values = pixels.astype(np.float32) / 255.0 if pixels.dtype == np.uint8 else pixels.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(np.atleast_3d(values).transpose(2, 0, 1)))[None]


@pytest.fixture(scope="module")
def conformance(shared_dir: Path) -> Path:
    return shared_dir / "conformance" / "swinir"


def install(conformance: Path, channels: int) -> str:
    """The small conformance network installed (into the test's empty weights folder) as an official id."""
    name = "color_small.pth" if channels == 3 else "gray_small.pth"
    done = run_cli("weights", "install", conformance / name, "--id", IDS[channels])
    assert done.code == 0, done.err
    return IDS[channels]


def denoise(photo: Path, output: Path, *flags: str) -> dict:
    """``restore-agent denoise PHOTO -o OUTPUT --json FLAGS``; its JSON, after checking the exit code says what
    the JSON says (0: the check passed, 1: it failed, the output written either way)."""
    done = run_cli("denoise", photo, "-o", output, "--json", *flags)
    assert done.code in (0, 1), done.err
    result = json.loads(done.out)
    assert done.code == (0 if result["status"] == "restored" else 1) and output.is_file()
    return result


def test_flip_pad_mirrors_the_edge_and_always_pads():
    rows = torch.arange(16.0).view(1, 1, 16, 1).expand(1, 1, 16, 16)
    padded = flip_pad(rows, 8)
    assert padded.shape == (1, 1, 24, 24)  # a multiple of the window still gets a window more
    assert padded[0, 0, 16:, 0].tolist() == [15.0, 14.0, 13.0, 12.0, 11.0, 10.0, 9.0, 8.0]  # edge row repeated
    assert flip_pad(torch.zeros(1, 3, 50, 70), 8).shape == (1, 3, 56, 72)


@pytest.mark.parametrize("photo,channels", [("0014.jpg", 3), ("frog.png", 1)])
def test_no_match_on_real_photos_is_byte_equal_to_the_official_script(conformance, tmp_path, photo, channels):
    """8-bit photos (179 x 179 color: no side a multiple of the window; 240 x 240 gray: both sides one)."""
    source = tmp_path / f"{Path(photo).stem}.png"
    Image.open(REAL / photo).convert("RGB" if channels == 3 else "L").save(source)
    weights = install(conformance, channels)
    result = denoise(source, tmp_path / "out.png", "--weights", weights, "--no-match", "--force-run")
    assert result["contrast"] == 1.0 and result["tiles"] == 1 and UNMATCHED_NOTE in result["notes"]
    pixels = np.asarray(Image.open(source))
    model = load_swinir(conformance / f"{'color' if channels == 3 else 'gray'}_small.pth")
    expected = (official_script(model, as_tensor(pixels)) * 255.0).round().astype(np.uint8)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png")), expected)


def reach(config: dict) -> int:
    """How far (pixels) a change can travel through the network: a window per transformer block, a pixel per
    3 x 3 convolution (the first, one closing each residual group, the one after the body, the last)."""
    return config["window_size"] * sum(config["depths"]) + len(config["depths"]) + 3


def test_no_match_holds_the_official_vectors_where_the_padding_cannot_reach(conformance, tmp_path):
    """The vectors are plain forward passes, the script pads first: they differ only through the rows and columns
    within a window of the bottom and right edges (the padding's content, and the shifted windows' masks that the
    padded size moves). Pixels beyond that window plus the network's reach from those edges are the same
    computation, so they must match the vectors to float precision (inputs and outputs at 16 bits); the
    batch-of-two 24 x 40 cases leave no such pixel and are left out."""
    import tifffile

    manifest = json.loads((conformance / "manifest.json").read_text())
    compared = []
    for name, spec in manifest.items():
        channels, config = spec["config"]["in_chans"], spec["config"]
        weights, model = install(conformance, channels), load_swinir(conformance / spec["checkpoint"])
        for case in spec["cases"]:
            batch, _, height, width = case["shape"]
            rows, cols = height - config["window_size"] - reach(config), width - config["window_size"] - reach(config)
            if batch != 1 or min(rows, cols) <= 0:
                continue
            vector = np.load(conformance / case["input"])[0].transpose(1, 2, 0)
            samples = np.rint(vector * 65535).astype(np.uint16)
            photo, output = tmp_path / f"{name}_{height}x{width}.tif", tmp_path / f"{name}_{height}x{width}.out.tif"
            tifffile.imwrite(photo, samples if channels == 3 else samples[..., 0], photometric=
                             "rgb" if channels == 3 else "minisblack")
            result = denoise(photo, output, "--weights", weights, "--no-match", "--force-run")
            assert result["contrast"] == 1.0
            got = tifffile.imread(output).astype(np.float64) / 65535
            script = official_script(model, as_tensor(samples.astype(np.float32) / 65535))
            assert np.abs(got - np.rint(script * 65535) / 65535).max() <= 1 / 65535  # the script's steps, to a step
            plain = np.clip(np.load(conformance / case["output"])[0].transpose(1, 2, 0), 0, 1)
            plain = plain if channels == 3 else plain[..., 0]
            diff = float(np.abs(got[:rows, :cols] - plain[:rows, :cols]).max())
            assert diff <= 2e-4, f"{case['input']}: {diff}"
            compared.append((name, height, width))
    assert sorted(compared) == [("color_small", 50, 70), ("color_small", 64, 64), ("gray_small", 50, 70),
                                ("gray_small", 64, 64)]


def test_no_match_turns_noise_matching_off(conformance, sample_photo, tmp_path):
    noisy = sample_photo[:128, :160] + np.random.default_rng(0).normal(0, 25, (128, 160, 3))
    photo = tmp_path / "noisy.png"
    Image.fromarray(np.clip(noisy, 0, 255).round().astype(np.uint8)).save(photo)
    install(conformance, 3)  # the noise-15 weights only: the suggested level 25 runs on them
    matched = denoise(photo, tmp_path / "matched.png")
    assert matched["decision"]["noise_sigma"] > 20 and matched["contrast"] < 0.8
    assert any(note.startswith("noise matched: ") for note in matched["notes"])
    unmatched = denoise(photo, tmp_path / "unmatched.png", "--no-match")
    assert unmatched["contrast"] == 1.0 and unmatched["decision"]["noise_sigma"] is None
    assert "unmatched" in unmatched["decision"]["reason"] and not unmatched["decision"]["forced"]
    assert not any(note.startswith("noise matched: ") for note in unmatched["notes"])
