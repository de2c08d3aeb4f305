"""Peak resident memory of this process (Linux ``VmHWM``), resettable between measurements."""
from __future__ import annotations

from pathlib import Path


def reset_peak() -> bool:
    """Reset the peak to the current RSS (``/proc/self/clear_refs``); False where not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """Highest RSS since start or since the last :func:`reset_peak`."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise OSError("no VmHWM in /proc/self/status")


def rss_bytes() -> int:
    """Current RSS."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise OSError("no VmRSS in /proc/self/status")
