"""Word the library's errors for the command line: name the flags and the commands that fix them."""
from __future__ import annotations

import typer

from agent.cli.echo import one_line  # noqa: F401 (error lines are one line; the name callers use)
from tools.errors import DownloadFailed, OutputExists, SettingError, UserError, WeightsUnavailable
from tools.restore import NotDenoised


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
    if isinstance(exc, NotDenoised):
        return f"{exc} (use --force-run to denoise anyway)"
    return str(exc)


def _number(value: float | None) -> str:
    return "…" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _allowed_range(param: object) -> str:
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    return "" if low is None and high is None else f"allowed: {_number(low)} to {_number(high)}; "


def usage_message(exc: typer.TyperException) -> str:
    """A Click error (unknown option, bad or out-of-range value) as one line: the flag, the range it takes,
    and the command's help."""
    message = exc.format_message().rstrip(".")
    ctx, param = getattr(exc, "ctx", None), getattr(exc, "param", None)
    where = f"see '{ctx.command_path} --help'" if ctx is not None else ""
    hint = f"{_allowed_range(param)}{where}".rstrip("; ")
    return f"{message} ({hint})" if hint else message


def os_message(exc: OSError) -> str:
    """An operating-system error with its file(s), e.g. ``No space left on device: out.png``."""
    reason = exc.strerror or " ".join(str(exc).split())[:300] or type(exc).__name__
    files = [str(name) for name in (exc.filename, exc.filename2) if name is not None]
    return f"{reason}: {' -> '.join(files)}" if files else reason


def unexpected_message(exc: BaseException, debug_flag: str = "--debug") -> str:
    """The line for an exception that is not bad input: what the machine ran out of, or an internal error."""
    if isinstance(exc, RecursionError):
        return "error: the input is nested too deeply to read"
    if isinstance(exc, MemoryError):
        return "error: out of memory (try a smaller photo or tile)"
    if isinstance(exc, OSError):
        return f"error: {os_message(exc)}"
    detail = " ".join(str(exc).split())[:300]
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"internal error: {what} (re-run with {debug_flag} for the traceback)"
