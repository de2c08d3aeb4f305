"""JSON figures are rounded to the precision that means something, by the name of their field."""
from __future__ import annotations

from tools.json_numbers import meaningful


def test_decibels_sigma_and_seconds_keep_two_decimals():
    data = {"psnr": 32.15035389146894, "noise_sigma": 18.34567, "seconds": {"denoise": 4.56789},
            "nlf": [[12, 3.14159]]}
    assert meaningful(data) == {"psnr": 32.15, "noise_sigma": 18.35, "seconds": {"denoise": 4.57}, "nlf": [[12, 3.14]]}


def test_ssim_and_correlations_keep_their_finer_digits_and_other_types_pass():
    data = {"ssim": 0.912345678, "edge_correlation": -0.123456, "ok": True, "tiles": 3, "id": "x", "none": None}
    assert meaningful(data) == {"ssim": 0.9123, "edge_correlation": -0.123, "ok": True, "tiles": 3, "id": "x",
                                "none": None}
