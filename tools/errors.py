"""Errors for bad user input: one-line messages, plus the data a front end needs to word them its own way.

Messages never name a command-line flag or command; ``agent.cli.errors.cli_message`` adds those.
"""
from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """Bad input from the user: a missing file, a malformed card, an unusable checkpoint.

    The message is one line, shown as is; the CLI exits with code 2.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class SettingError(UserError):
    """A setting (``tile``, ``overlap``, ``weights``, ``id``, ...) has an unusable value, or is missing (None)."""

    def __init__(self, setting: str, value: object, expected: str) -> None:
        self.setting, self.value, self.expected = setting, value, expected
        super().__init__(self.describe(setting))

    def describe(self, name: str) -> str:
        """The message with the setting called ``name`` (a front end's name for it, such as a flag)."""
        got = "" if self.value is None else f", got {self.value}"
        return f"{name} must be {self.expected}{got}"


class OutputExists(UserError):
    """An output file is already there and replacing it was not allowed."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        super().__init__(f"output exists: {path}")


class WeightsUnavailable(UserError):
    """SwinIR weights that a run needs are not on this machine; ``official`` ones can be downloaded or installed."""

    def __init__(self, weights_id: str, noise_level: int, official: bool, message: str | None = None) -> None:
        self.weights_id, self.noise_level, self.official = weights_id, noise_level, official
        super().__init__(message or (f"SwinIR weights {weights_id} for noise level {noise_level} are not installed"
                                     if official else f"SwinIR weights {weights_id} are not part of this installation"))


class DownloadFailed(WeightsUnavailable):
    """Official weights could not be downloaded (no network, refused, incomplete)."""

    def __init__(self, weights_id: str, noise_level: int, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        super().__init__(weights_id, noise_level, True, f"cannot download {weights_id} from {url} ({reason})")
