"""`restore-agent analyze` end to end in a subprocess: the --json shape, the table, and exit code 2."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.analyzer_images import crop, with_noise

ROOT = Path(__file__).resolve().parents[1]
TOP_KEYS = {"image", "width", "height", "mode", "noise", "blur", "jpeg", "exposure", "haze", "findings",
            "recommendations", "seconds"}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    code = f"import sys; sys.argv = ['restore-agent', *{list(args)!r}]; from agent.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def photos(tmp_path_factory, sample_photo) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("analyze")
    noisy = folder / "noisy.png"
    Image.fromarray(with_noise(crop(sample_photo, 256), 28)[0]).save(noisy)  # clipped: measures about 26
    jpeg = folder / "photo.jpg"
    Image.fromarray(crop(sample_photo, 256)).save(jpeg, quality=30)
    return noisy, jpeg


def test_json_for_several_images_is_a_list_in_the_documented_shape(photos) -> None:
    result = run_cli("analyze", str(photos[0]), str(photos[1]), "--json")
    assert result.returncode == 0, result.stderr
    noisy, jpeg = json.loads(result.stdout)
    for item in (noisy, jpeg):
        assert TOP_KEYS <= set(item) and (item["width"], item["height"]) == (256, 256) and item["mode"] == "RGB"
        assert {"sigma", "severity"} <= set(item["noise"]) and {"quality", "method"} <= set(item["jpeg"])
        assert all(set(f) == {"degradation", "severity", "evidence"} for f in item["findings"])
        assert all({"record", "why"} <= set(r) for r in item["recommendations"])
    assert abs(noisy["noise"]["sigma"] - 26) < 1.5 and noisy["jpeg"]["quality"] is None
    assert noisy["recommendations"][0]["record"] == "denoise-swinir-noise15"
    assert noisy["recommendations"][0]["noise_level"] == 25
    assert jpeg["jpeg"]["quality"] == 30 and jpeg["jpeg"]["method"] == "quantization-tables"
    assert "jpeg" in {f["degradation"] for f in jpeg["findings"]}


def test_table_output_and_single_image_json(photos) -> None:
    from typer.testing import CliRunner

    from agent.cli import _register, app

    _register()
    runner = CliRunner()
    table = runner.invoke(app, ["analyze", str(photos[0])], terminal_width=160)
    assert table.exit_code == 0, table.output
    assert "measurement" in table.output and "Findings:" in table.output and "denoise-swinir-noise15" in table.output
    single = runner.invoke(app, ["analyze", str(photos[1]), "--json"])
    assert isinstance(json.loads(single.output), dict)


def test_bad_input_exits_2_with_one_line(tmp_path) -> None:
    result = run_cli("analyze", str(tmp_path / "absent.png"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: no such file") and result.stderr.count("\n") == 1
