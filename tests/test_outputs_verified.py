"""Every output reads back as the image it should be, or is not left at all.

Each kind of photo the project reads (CMYK JPEG and TIFF, RGB TIFF with one or two extra channels, 16-bit gray
and color PNG and TIFF, RGBA, LA, palette with and without transparency, gray, 1-bit) is written to each output
format (PNG, JPEG, TIFF, BMP, WebP) and opened again with Pillow; a TIFF's layout tags never reach its outputs;
an encoder that writes a broken file leaves nothing and the error names the input; and the CLI's denoise and
batch write CMYK and extra-channel TIFFs that open.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from PIL.ExifTags import IFD
from PIL.ExifTags import Base as Tag

from tests.batch_helpers import manifest, noisy_crop
from tests.cli_run import run_cli
from tools.errors import UserError
from tools.imageio import load_image, save_image

OUTPUTS = ("png", "jpg", "tif", "bmp", "webp")
LOSSLESS = ("png", "tif", "bmp")
PHOTOMETRIC, SAMPLES_PER_PIXEL, INK_SET, EXTRA_SAMPLES = 262, 277, 332, 338


def profile(space: bytes = b"RGB ") -> bytes:
    """An sRGB ICC profile, its header's color space changed to ``space`` (a CMYK or gray profile to a writer)."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    data[16:20] = space
    return bytes(data)


def camera_exif() -> bytes:
    exif = Image.Exif()
    exif[Tag.Make], exif[Tag.Orientation] = "TestCam", 1
    exif[IFD.Exif] = {Tag.DateTimeOriginal: "2024:05:06 07:08:09", Tag.ExifImageWidth: 9999}
    return exif.tobytes()


def deep_plane(seed: int = 0) -> np.ndarray:
    """16-bit gray samples over the full range (64 x 80)."""
    ramp = np.linspace(1000, 64000, 64 * 80).reshape(64, 80)
    return np.clip(ramp + np.random.default_rng(seed).normal(0, 2000, ramp.shape), 0, 65535).astype(np.uint16)


def write_png16_rgb(path: Path, samples: np.ndarray) -> None:
    """A 16-bit color PNG written by hand (Pillow writes none): IHDR, one IDAT of unfiltered rows, IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width = samples.shape[:2]
    rows = b"".join(b"\0" + samples[row].astype(">u2").tobytes() for row in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make_source(folder: Path, kind: str) -> Path:
    """One photo of ``kind`` (64 x 80, noisy), with EXIF and an ICC profile where its format holds them."""
    import tifffile

    rgb = noisy_crop(60, 150, 64, 80)
    color = Image.fromarray(rgb)
    gray = color.convert("L")
    path = folder / kind
    extra = np.asarray(gray)[..., None]
    if kind == "cmyk.jpg":
        color.convert("CMYK").save(path, quality=92, exif=camera_exif(), icc_profile=profile(b"CMYK"))
    elif kind == "cmyk.tif":
        color.convert("CMYK").save(path, exif=camera_exif(), icc_profile=profile(b"CMYK"))
    elif kind in ("rgb+1.tif", "rgb+2.tif"):
        channels = [rgb, extra] if kind == "rgb+1.tif" else [rgb, extra, 255 - extra]
        tifffile.imwrite(path, np.concatenate(channels, axis=2), photometric="rgb",
                         extrasamples=[0] * (len(channels) - 1))
    elif kind in ("gray16.png", "gray16.tif"):
        Image.fromarray(deep_plane()).save(path, exif=camera_exif())
    elif kind == "rgb16.png":
        write_png16_rgb(path, np.stack([deep_plane(0), deep_plane(1), deep_plane(2)], axis=2))
    elif kind == "rgb16.tif":
        tifffile.imwrite(path, np.stack([deep_plane(0), deep_plane(1), deep_plane(2)], axis=2), photometric="rgb")
    elif kind in ("rgba.png", "la.png"):
        base = color if kind == "rgba.png" else gray
        base.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 80).astype(np.uint8), (64, 1))))
        base.save(path, exif=camera_exif())
    elif kind in ("p.png", "p-trns.png"):
        palette = color.quantize(64)
        palette.save(path, **({"transparency": 0} if kind == "p-trns.png" else {}))
    elif kind == "l.png":
        gray.save(path, exif=camera_exif(), icc_profile=profile(b"GRAY"))
    elif kind == "1bit.png":
        gray.convert("1").save(path)
    return path


SOURCES = ("cmyk.jpg", "cmyk.tif", "rgb+1.tif", "rgb+2.tif", "gray16.png", "gray16.tif", "rgb16.png", "rgb16.tif",
           "rgba.png", "la.png", "p.png", "p-trns.png", "l.png", "1bit.png")


def expected_mode(gray: bool, alpha: bool, suffix: str) -> str:
    """The mode an output reads back in: WebP holds no gray, JPEG and BMP no alpha."""
    if suffix == "webp":
        gray = False
    if suffix in ("jpg", "bmp"):
        alpha = False
    return ("L" if gray else "RGB") + ("A" if alpha else "")


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


@pytest.mark.parametrize("suffix", OUTPUTS)
@pytest.mark.parametrize("kind", SOURCES)
def test_every_kind_of_photo_writes_to_every_format_and_reads_back(tmp_path: Path, kind: str, suffix: str):
    source = make_source(tmp_path, kind)
    image = load_image(source)
    out = save_image(image.pixels, tmp_path / f"out.{suffix}", alpha=image.alpha, metadata=image.metadata,
                     source=source)
    with Image.open(out) as written:
        written.load()
        assert written.size == (image.width, image.height)
        assert written.mode == expected_mode(image.is_gray, image.alpha is not None, suffix), kind
        values = np.asarray(written)
        if suffix == "tif":  # the output's own layout, none of the source's
            assert written.tag_v2[PHOTOMETRIC] == (1 if written.mode.startswith("L") else 2)
            assert written.tag_v2.get(SAMPLES_PER_PIXEL, 1) == len(written.mode)
            assert INK_SET not in written.tag_v2
            assert (EXTRA_SAMPLES in written.tag_v2) == written.mode.endswith("A")
    if suffix in LOSSLESS:
        alpha = written.mode.endswith("A")
        color = values[..., :-1] if alpha else values
        assert np.array_equal(color.squeeze(axis=-1) if color.ndim == 3 and color.shape[2] == 1 else color,
                              image.pixels)
        assert not alpha or np.array_equal(values[..., -1], image.alpha)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind,suffix", [("gray16.png", "png"), ("gray16.png", "tif"), ("gray16.tif", "png"),
                                         ("gray16.tif", "tif"), ("rgb16.tif", "tif")])
def test_sixteen_bit_outputs_read_back_with_their_samples(tmp_path: Path, kind: str, suffix: str):
    import tifffile

    from tools.deep_image import load_deep, save_deep, to_uint16

    source = make_source(tmp_path, kind)
    values = load_deep(source)
    out = save_deep(values, tmp_path / f"out.{suffix}", metadata=load_image(source).metadata, source=source)
    with Image.open(out) as written:
        written.load()
        assert written.size == (80, 64)
    samples = tifffile.imread(out) if values.ndim == 3 else np.asarray(Image.open(out))
    assert samples.dtype == np.uint16 and np.array_equal(samples, to_uint16(values))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("suffix", ("png", "jpg", "tif", "webp"))
def test_only_descriptive_exif_and_a_fitting_profile_reach_the_output(tmp_path: Path, suffix: str):
    """A CMYK TIFF's whole tag directory is its EXIF to Pillow: only the camera and date go on; its CMYK
    profile fits no RGB output; a gray profile stays on gray outputs, and an RGB one never lands on them."""
    cmyk = load_image(make_source(tmp_path, "cmyk.tif"))
    out = save_image(cmyk.pixels, tmp_path / f"cmyk.{suffix}", metadata=cmyk.metadata)
    with Image.open(out) as written:
        exif = written.getexif()
        assert exif.get(Tag.Make) == "TestCam" and exif.get(Tag.Orientation) == 1
        details = exif.get_ifd(IFD.Exif)
        assert details.get(Tag.DateTimeOriginal) == "2024:05:06 07:08:09" and Tag.ExifImageWidth not in details
        assert "icc_profile" not in written.info
        if suffix != "tif":  # a TIFF's own directory holds its layout; EXIF elsewhere holds none of it
            assert not {PHOTOMETRIC, SAMPLES_PER_PIXEL, INK_SET, 273, 279} & set(exif)
    gray = load_image(make_source(tmp_path, "l.png"))
    kept = save_image(gray.pixels, tmp_path / f"gray.{suffix}", metadata=gray.metadata)
    with Image.open(kept) as written:
        assert written.info.get("icc_profile") == (profile(b"GRAY") if written.mode == "L" else None)
    from tools.photo_metadata import PhotoMetadata

    rgb_on_gray = save_image(gray.pixels, tmp_path / f"rgb-on-gray.{suffix}", metadata=PhotoMetadata(icc=profile()))
    with Image.open(rgb_on_gray) as written:
        assert ("icc_profile" in written.info) == (written.mode == "RGB")  # WebP writes gray as RGB


# --- a broken encoder leaves nothing ---------------------------------------------------------------------------

def corrupt_encoder(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Make Pillow's save write a broken file (``how``): garbage bytes, a valid image of another size or other
    pixels, or raise as an encoder does on bad options."""
    real = Image.Image.save

    def broken(self, fp, format=None, **options):  # noqa: A002 (Pillow's own argument name)
        if how == "garbage":
            Path(fp).write_bytes(b"II*\0" + bytes(64))
        elif how == "size":
            real(self.resize((self.width // 2, self.height)), fp, format=format)
        elif how == "pixels":
            real(self.point(lambda value: 255 - value), fp, format=format)
        else:
            raise ValueError("EXIF data is too long")

    monkeypatch.setattr(Image.Image, "save", broken)


@pytest.mark.parametrize("how,why", [("garbage", "cannot be read back"), ("size", "reads back as 40x64 pixels"),
                                     ("pixels", "other pixels"), ("raises", "EXIF data is too long")])
def test_a_broken_write_leaves_nothing_and_names_the_input(tmp_path: Path, monkeypatch, how: str, why: str):
    source = make_source(tmp_path, "cmyk.tif")
    image = load_image(source)
    before = sorted(tmp_path.iterdir())
    corrupt_encoder(monkeypatch, how)
    with pytest.raises(UserError) as refused:
        save_image(image.pixels, tmp_path / "out.png", metadata=image.metadata, source=source)
    message = str(refused.value)
    assert message.startswith(f"cannot write the output of {source} to ") and why in message, message
    assert "\n" not in message and sorted(tmp_path.iterdir()) == before  # no output, no temporary


def test_denoise_with_a_broken_encoder_exits_2_naming_the_input(tmp_path: Path, monkeypatch):
    source = tmp_path / "noisy.png"
    Image.fromarray(noisy_crop(60, 150, 64, 80)).save(source)
    corrupt_encoder(monkeypatch, "garbage")
    run = run_cli("denoise", source, "-o", tmp_path / "out.png", "--force-run")
    assert run.code == 2 and run.err.count("\n") == 1, run.err
    assert run.err.startswith(f"error: cannot write the output of {source} to {tmp_path / 'out.png'}: "), run.err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["noisy.png"]


# --- through the CLI -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["cmyk.tif", "rgb+2.tif"])
def test_denoise_writes_a_tiff_that_opens(tmp_path: Path, kind: str):
    source = make_source(tmp_path, kind)
    run = run_cli("denoise", source, "-o", tmp_path / "out.tif", "--force-run")
    assert run.code in (0, 1) and "error:" not in run.err, run.err  # 1: the check found fault with the run
    with Image.open(tmp_path / "out.tif") as written:
        written.load()
        assert written.mode == "RGB" and written.size == (80, 64)
        assert written.getexif().get(Tag.Make) == ("TestCam" if kind == "cmyk.tif" else None)


def test_batch_of_cmyk_and_extra_channel_tiffs_writes_outputs_that_open(tmp_path: Path):
    from tests.swinir_helpers import save_checkpoint

    folder = tmp_path / "in"
    folder.mkdir()
    kinds = ("cmyk.tif", "rgb+1.tif", "rgb+2.tif", "cmyk.jpg")
    for kind in kinds:
        make_source(folder, kind)
    weights = save_checkpoint(tmp_path / "tiny_noise15.pth", 3)
    run = run_cli("batch", folder, "-o", tmp_path / "out", "--weights", weights, "--force-run")
    entries = {entry["input"]["path"]: entry for entry in manifest(tmp_path / "out")}
    assert set(entries) == set(kinds) and all(entry["error"] is None for entry in entries.values()), run.err
    for kind, entry in entries.items():
        with Image.open(tmp_path / "out" / entry["output"]) as written:
            written.load()
            assert written.size == (80, 64) and written.mode == "RGB", kind
    assert not list((tmp_path / "out").rglob(".*.tif"))


def test_an_output_larger_than_its_format_holds_is_refused_before_any_work(tmp_path: Path, monkeypatch):
    """WebP holds at most 16383 pixels a side: a 16400-pixel-wide photo is refused before the network runs."""
    from tools.swinir import service

    source = tmp_path / "wide.png"
    Image.fromarray(np.tile(noisy_crop(60, 150, 16, 80), (1, 205, 1))).save(source)
    monkeypatch.setattr(service, "load_model", lambda path: pytest.fail("the network was loaded"))
    run = run_cli("denoise", source, "-o", tmp_path / "wide.webp", "--force-run")
    assert run.code == 2 and run.err.count("\n") == 1, run.err
    assert "WEBP holds at most 16383 pixels a side" in run.err and "16400x16" in run.err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["wide.png"]
