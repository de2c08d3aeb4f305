"""Library errors carry data and never name the command line; ``cli_message`` adds the flags and commands."""
from __future__ import annotations

import re

import pytest

from agent.cli.errors import cli_message
from tools.errors import DownloadFailed, OutputExists, SettingError, UserError, WeightsUnavailable

CLI_WORDS = re.compile(r"--[a-z]|restore-agent ")


def test_setting_error_names_the_setting_and_the_cli_its_flag():
    tile = SettingError("tile", 8, "0 (whole image) or at least 16 pixels")
    assert str(tile) == "tile must be 0 (whole image) or at least 16 pixels, got 8"
    assert cli_message(tile) == "--tile must be 0 (whole image) or at least 16 pixels, got 8"
    missing = SettingError("noise_level", None, "given")
    assert str(missing) == "noise_level must be given"
    assert cli_message(missing) == "--noise-level must be given"


def test_output_exists_tells_the_cli_user_about_force():
    exc = OutputExists("out/a.png")
    assert str(exc) == "output exists: out/a.png" and exc.path.name == "a.png"
    assert cli_message(exc) == "output exists: out/a.png (use --force to replace it)"


def test_missing_official_weights_say_how_to_get_them():
    message = cli_message(WeightsUnavailable("swinir-m-color-noise50", 50, official=True))
    assert message.startswith("SwinIR weights swinir-m-color-noise50 for noise level 50 are not installed: ")
    assert "`restore-agent weights download swinir-m-color-noise50`" in message
    assert "`restore-agent weights install PATH --id swinir-m-color-noise50`" in message
    assert "--weights PATH" in message


def test_missing_embedded_weights_have_no_command_to_suggest():
    exc = WeightsUnavailable("swinir-s-noise15", 15, official=False)
    assert cli_message(exc) == str(exc) == "SwinIR weights swinir-s-noise15 are not part of this installation"


def test_failed_download_points_to_install():
    exc = DownloadFailed("swinir-m-gray-noise15", 15, "http://127.0.0.1:9/x.pth", "connection refused")
    assert str(exc) == "cannot download swinir-m-gray-noise15 from http://127.0.0.1:9/x.pth (connection refused)"
    assert cli_message(exc).endswith("run `restore-agent weights install PATH --id swinir-m-gray-noise15`")


@pytest.mark.parametrize("exc", [
    SettingError("overlap", 64, "between 0 and the tile size minus one"),
    OutputExists("a.png"),
    WeightsUnavailable("swinir-m-color-noise15", 15, official=True),
    DownloadFailed("swinir-m-color-noise15", 15, "http://x/y.pth", "timed out"),
])
def test_library_messages_never_name_the_command_line(exc: UserError):
    assert isinstance(exc, UserError) and not CLI_WORDS.search(str(exc))


def test_other_user_errors_are_shown_as_they_are():
    assert cli_message(UserError("no such image file:\n  x.png")) == "no such image file: x.png"
