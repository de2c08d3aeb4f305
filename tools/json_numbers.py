"""Numbers in JSON at the precision that means something: dB, sigma, seconds and scores to 0.01, SSIM to 1e-4.

Every JSON a user reads (MCP replies, ``--json``, manifests, ``demo.json``) passes :func:`meaningful` on its way
out, so ``"psnr": 32.15035389146894`` is written ``32.15``. Integers, strings and booleans pass unchanged.
"""
from __future__ import annotations

SSIM_DIGITS = 4
DIGITS_BY_KEY = (  # the first key fragment found in a field's name sets its digits
    ("ssim", SSIM_DIGITS), ("correlation", 3), ("contrast", 4), ("confidence", 3), ("megapixels", 4), ("ratio", 3),
)
DEFAULT_DIGITS = 2  # dB, sigma, seconds, PIQE, scores, percentages


def digits_for(key: str) -> int:
    """How many decimals a float under ``key`` keeps."""
    name = key.lower()
    return next((digits for fragment, digits in DIGITS_BY_KEY if fragment in name), DEFAULT_DIGITS)


def meaningful(value: object, key: str = "") -> object:
    """``value`` (JSON-like) with every float rounded to the digits its field's name calls for; a float in a
    list takes its list's key."""
    if isinstance(value, bool) or not isinstance(value, float | dict | list | tuple):
        return value
    if isinstance(value, float):
        return round(value, digits_for(key))
    if isinstance(value, dict):
        return {name: meaningful(item, str(name)) for name, item in value.items()}
    return [meaningful(item, key) for item in value]
