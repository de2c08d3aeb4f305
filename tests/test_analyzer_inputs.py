"""Bad and unusual inputs: one-line errors for unusable files, notes for converted ones, tiny images."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from tests.analyzer_images import crop
from tools.analyzer import analyze
from tools.analyzer.measurement import TOO_SMALL
from tools.errors import UserError


@pytest.fixture(scope="module")
def photo(sample_photo: np.ndarray) -> np.ndarray:
    return crop(sample_photo, 96)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: d / "missing.png", "no such file"),
    (lambda d: d, "is a folder"),
    (lambda d: (d / "notes.png").write_text("not pixels") and d / "notes.png", "not an image"),
])
def test_unusable_paths_raise_one_line_errors(tmp_path, make, message) -> None:
    with pytest.raises(UserError, match=message) as info:
        analyze(make(tmp_path))
    assert "\n" not in str(info.value)


def test_truncated_file(tmp_path, photo) -> None:
    path = tmp_path / "cut.png"
    Image.fromarray(photo).save(path)
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(UserError, match="truncated or corrupt"):
        analyze(path)


def test_decompression_bomb(tmp_path, photo, monkeypatch) -> None:
    path = tmp_path / "big.png"
    Image.fromarray(photo).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(UserError, match="decompression-bomb"):
        analyze(path)


def test_one_pixel_image_is_too_small_to_measure(tmp_path) -> None:
    path = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (120, 30, 200)).save(path)
    result = analyze(path)
    for name in ("noise", "blur", "jpeg", "haze", "quality"):
        assert getattr(result, name).evidence == TOO_SMALL
    assert result.noise.sigma is None and result.suggested_noise_level is None
    assert [f.degradation for f in result.findings] == ["low-resolution"]
    json.dumps(result.to_dict())


def test_sixteen_bit_image(tmp_path, photo) -> None:
    path = tmp_path / "deep.png"
    Image.fromarray((photo.mean(axis=2) * 257).astype(np.uint16)).save(path)
    result = analyze(path)
    assert result.mode.startswith("I") and any("16-bit" in n for n in result.notes)
    assert result.noise.sigma is not None


def test_palette_alpha_cmyk_and_animated_files(tmp_path, photo) -> None:
    rgb = Image.fromarray(photo)
    cases = {
        "palette.png": (rgb.convert("P", palette=Image.Palette.ADAPTIVE), "P", "palette"),
        "alpha.png": (rgb.convert("RGBA"), "RGBA", "alpha"),
        "print.jpg": (rgb.convert("CMYK"), "CMYK", "CMYK"),
    }
    for name, (img, mode, note) in cases.items():
        path = tmp_path / name
        img.save(path)
        before = digest(path)
        result = analyze(path)
        assert result.mode == mode and any(note in n for n in result.notes), name
        assert digest(path) == before  # inputs are never modified
    assert analyze(tmp_path / "print.jpg").jpeg.method == "quantization-tables"
    gif = tmp_path / "moving.gif"
    frames = [rgb.convert("P"), Image.fromarray(255 - photo).convert("P")]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100)
    result = analyze(gif)
    assert any("first frame" in n for n in result.notes)
