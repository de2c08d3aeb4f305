"""The keyword rules that map free text onto the degradation vocabulary."""
from __future__ import annotations

import pytest

from tools.degradation_terms import degradations_in


@pytest.mark.parametrize("text", ["rain streaks on the window", "a rainy street", "deraining", "raindrops on glass",
                                  "heavy rainfall", "it rains"])
def test_rain_is_found_in_its_word_forms(text: str) -> None:
    assert "rain" in degradations_in(text)


def test_a_rainbow_is_not_rain() -> None:
    """A card about moire asked of "rainbow wavy stripes" was answered as deraining."""
    assert "rain" not in degradations_in("my photos of a screen show rainbow wavy stripes")
