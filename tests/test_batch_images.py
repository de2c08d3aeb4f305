"""What a batch keeps of each photo, on real files: EXIF (orientation applied once, tag reset), the ICC profile,
16-bit depth, alpha, gray, and CMYK converted with a note."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from PIL.ExifTags import Base as Tag

from tests.batch_helpers import manifest, noisy_crop
from tests.cli_run import run_cli
from tests.swinir_helpers import save_checkpoint
from tools.swinir.service import DEEP_NOTE


@functools.cache
def srgb_profile() -> bytes:
    """An sRGB ICC profile (made once: each making stamps its own creation time)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def deep_gray(height: int = 40, width: int = 56) -> np.ndarray:
    """16-bit gray samples that use the full depth (most are no multiple of 257, as 8-bit data scaled would be)."""
    ramp = np.linspace(2000, 60000, height * width).reshape(height, width)
    return np.clip(ramp + np.random.default_rng(2).normal(0, 3000, ramp.shape), 0, 65535).astype(np.uint16)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """One folder of every kind of photo, run through a batch once."""
    import tifffile

    root = tmp_path_factory.mktemp("kinds")
    source = root / "in"
    source.mkdir()
    exif = Image.Exif()
    exif[Tag.Orientation] = 6  # stored turned: upright is 90 degrees clockwise
    exif[Tag.Make] = "TestCam"
    Image.fromarray(noisy_crop(60, 150, 40, 64)).save(source / "turned.jpg", exif=exif.tobytes(),
                                                      icc_profile=srgb_profile(), quality=92)
    Image.fromarray(noisy_crop(80, 170)).save(source / "profiled.png", icc_profile=srgb_profile())
    Image.fromarray(deep_gray()).save(source / "deep.png")
    Image.fromarray(deep_gray()).save(source / "deep.tif")
    color = np.stack([deep_gray(), deep_gray()[::-1], deep_gray()[:, ::-1]], axis=2)
    tifffile.imwrite(source / "deep-color.tif", color, photometric="rgb")
    rgba = Image.fromarray(noisy_crop(90, 190))
    alpha = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))
    rgba.putalpha(Image.fromarray(alpha))
    rgba.save(source / "alpha.png")
    Image.fromarray(noisy_crop(100, 200)).convert("L").save(source / "gray.png")
    Image.fromarray(noisy_crop(110, 210)).convert("CMYK").save(source / "print.jpg", quality=92)
    weights = save_checkpoint(root / "tiny_noise15.pth", 3)
    run = run_cli("batch", source, "-o", root / "out", "--weights", weights, "--force-run")  # every photo denoised
    entries = {entry["input"]["path"]: entry for entry in manifest(root / "out")}
    statuses = {entry["status"] for entry in entries.values()}
    assert statuses <= {"restored", "check-failed"}, run.out + run.err  # a tiny random network fails checks
    assert run.code == (1 if "check-failed" in statuses else 0)
    return source, root / "out", entries


def test_exif_is_kept_with_the_orientation_applied_once(batch):
    _, out, _ = batch
    with Image.open(out / "turned.jpg") as restored:
        exif = restored.getexif()
        assert restored.size == (40, 64)  # upright: the stored 64 x 40 turned once
        assert exif.get(Tag.Orientation) == 1 and exif.get(Tag.Make) == "TestCam"


def test_icc_profile_is_kept(batch):
    _, out, _ = batch
    for name in ("turned.jpg", "profiled.png"):
        with Image.open(out / name) as restored:
            assert restored.info.get("icc_profile") == srgb_profile()


def test_sixteen_bit_png_and_tiff_are_processed_and_written_at_16_bits(batch):
    source, out, entries = batch
    for name in ("deep.png", "deep.tif"):
        with Image.open(out / name) as restored:
            samples = np.asarray(restored)
            assert restored.mode == "I;16" and restored.size == (56, 40)
        assert np.count_nonzero(samples % 257) > samples.size // 2  # not 8-bit values scaled up
        assert DEEP_NOTE in entries[name]["notes"] and not any("8-bit" in note for note in entries[name]["notes"])


def test_sixteen_bit_color_tiff_stays_16_bit_color(batch):
    import tifffile

    _, out, entries = batch
    samples = tifffile.imread(out / "deep-color.tif")
    assert samples.dtype == np.uint16 and samples.shape == (40, 56, 3)
    assert np.count_nonzero(samples % 257) > samples.size // 2
    assert DEEP_NOTE in entries["deep-color.tif"]["notes"]


def test_alpha_passes_through_untouched_and_gray_stays_gray(batch):
    source, out, _ = batch
    with Image.open(source / "alpha.png") as original, Image.open(out / "alpha.png") as restored:
        assert restored.mode == "RGBA"
        assert np.array_equal(np.asarray(restored.getchannel("A")), np.asarray(original.getchannel("A")))
        assert not np.array_equal(np.asarray(restored.convert("RGB")), np.asarray(original.convert("RGB")))
    with Image.open(out / "gray.png") as restored:
        assert restored.mode == "L"


def test_cmyk_is_converted_with_a_note(batch):
    _, out, entries = batch
    with Image.open(out / "print.jpg") as restored:
        assert restored.mode == "RGB" and restored.format == "JPEG"
    assert any("CMYK image converted to RGB" in note for note in entries["print.jpg"]["notes"])


def test_outside_a_batch_denoise_still_reduces_16_bit(tmp_path: Path):
    """Full depth is kept where asked (``keep_source_depth``); a plain ``denoise_file`` still writes 8 bits."""
    from tools.swinir.service import denoise_file, keep_source_depth

    weights = save_checkpoint(tmp_path / "tiny_noise15.pth", 3)
    Image.fromarray(deep_gray()).save(tmp_path / "deep.png")
    plain = denoise_file(tmp_path / "deep.png", tmp_path / "plain.png", weights=str(weights))
    with keep_source_depth():
        deep = denoise_file(tmp_path / "deep.png", tmp_path / "deep-out.png", weights=str(weights))
    assert "16-bit image reduced to 8-bit" in plain.notes and Image.open(tmp_path / "plain.png").mode == "L"
    assert DEEP_NOTE in deep.notes and Image.open(tmp_path / "deep-out.png").mode == "I;16"
    eight = np.asarray(Image.open(tmp_path / "plain.png"), dtype=float)
    sixteen = np.asarray(Image.open(tmp_path / "deep-out.png"), dtype=float) / 257.0
    assert np.abs(eight - sixteen).max() <= 3.0  # the same restoration, at finer steps


def test_sixteen_bit_color_png_is_read_at_8_bits_with_a_note(tmp_path: Path):
    """Pillow decodes 16-bit color PNG at 8 bits; the note says so (the file is written by OpenCV, which
    scikit-image's PIQE dependency brings)."""
    cv2 = pytest.importorskip("cv2", reason="OpenCV is not installed: no writer of 16-bit color PNG here")
    from tools.imageio import load_image

    color = np.stack([deep_gray(), deep_gray()[::-1], deep_gray()[:, ::-1]], axis=2)
    cv2.imwrite(str(tmp_path / "deep-color.png"), color)
    Image.fromarray(noisy_crop(60, 150)).save(tmp_path / "plain.png")
    assert "16-bit color PNG read at 8 bits" in load_image(tmp_path / "deep-color.png").notes
    assert not load_image(tmp_path / "plain.png").notes


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_sixteen_bit_samples_are_turned_upright_as_the_8_bit_pixels_are(tmp_path: Path, orientation: int):
    from tools.deep_image import load_deep
    from tools.imageio import load_image

    exif = Image.Exif()
    exif[Tag.Orientation] = orientation
    Image.fromarray(deep_gray()).save(tmp_path / "turned.png", exif=exif.tobytes())
    deep, eight = load_deep(tmp_path / "turned.png"), load_image(tmp_path / "turned.png")
    assert deep.shape == eight.pixels.shape == ((40, 56) if orientation in (1, 3) else (56, 40))
    assert np.abs(deep * 255 - eight.pixels).max() <= 0.51
