"""Word the library's errors for the command line: name the flags and the commands that fix them."""
from __future__ import annotations

from tools.errors import DownloadFailed, OutputExists, SettingError, UserError, WeightsUnavailable


def flag(setting: str) -> str:
    """The command-line flag of a setting (``noise_level`` -> ``--noise-level``)."""
    return "--" + setting.replace("_", "-")


def _install_command(weights_id: str) -> str:
    return f"`restore-agent weights install PATH --id {weights_id}`"


def _weights_hint(exc: WeightsUnavailable) -> str:
    """How to get missing weights from here, or nothing when they cannot be got."""
    if isinstance(exc, DownloadFailed):
        return f"; fetch the file on a machine with network access and run {_install_command(exc.weights_id)}"
    if not exc.official:
        return ""
    return (f": run `restore-agent weights download {exc.weights_id}`, or {_install_command(exc.weights_id)} "
            "with the official checkpoint file, or pass --weights PATH")


def cli_message(exc: UserError) -> str:
    """The one line the command line prints for ``exc`` (after ``error: ``)."""
    if isinstance(exc, SettingError):
        return exc.describe(flag(exc.setting))
    if isinstance(exc, OutputExists):
        return f"{exc} (use --force to replace it)"
    if isinstance(exc, WeightsUnavailable):
        return f"{exc}{_weights_hint(exc)}"
    return str(exc)
