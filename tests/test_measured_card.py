"""The shipped weights' model card as the agent reads it: which weights run by default, and each one's size."""
from __future__ import annotations

import re

from agent.core import measured
from agent.core.direct import _by_size

CARD = """# Shipped weights

| weights | photos | noise (sigma, 0..255) | parameters | training |
|---|---|---|---|---|
| `swinir-half-noise15` | color | 15 | 0.69<!--fig x--> M | deepened |
| `swinir-s-noise15` | color | 15 | 0.27 M | from scratch |
| `swinir-s-noise25` | color | 25 | 0.27 M | fine-tuned |

| something else | parameters |
|---|---|
| `not-weights` | 9 M |
"""


def test_the_card_gives_each_shipped_file_its_own_size() -> None:
    sizes = measured._table(re.sub(r"<!--.*?-->", "", CARD), "parameters")
    assert sizes == {"swinir-half-noise15": "0.69", "swinir-s-noise15": "0.27", "swinir-s-noise25": "0.27"}
    assert measured._table(CARD, "speed") == {} and measured._table("no table", "parameters") == {}


def test_the_other_weights_are_grouped_by_size_and_the_default_is_the_registrys_first(tmp_path, monkeypatch) -> None:
    card = measured.ShippedCard("swinir-half-noise15", {"swinir-half-noise15": "0.69", "swinir-s-noise15": "0.27",
                                                       "swinir-s-noise25": "0.27"}, None, (),
                                ("swinir-s-noise15", "swinir-s-noise25", "swinir-s-gray-noise50"))
    assert card.parameters == "0.69"
    assert _by_size(card) == "`swinir-s-noise15`, `swinir-s-noise25` (0.27 M parameters each); `swinir-s-gray-noise50`"
    from tools.swinir import weights

    monkeypatch.setattr(weights, "EMBEDDED_DIR", tmp_path)
    assert measured.default_id() is None
    (tmp_path / "swinir-s-noise15.pth").write_bytes(b"x")
    assert measured.default_id() == "swinir-s-noise15"
    (tmp_path / "swinir-half-noise15.pth").write_bytes(b"x")
    assert measured.default_id() == "swinir-half-noise15"  # the faster network runs by default once it ships
