"""Photo paths in chat text: typed paths, and earlier photos referred to by order or pronoun."""
from __future__ import annotations

from pathlib import Path

from agent.core.photo_mentions import image_paths_in, referred_images

KNOWN = ["a.png", "b.png", "c.png"]


def test_typed_paths_are_recognised_only_when_they_are_image_files(tmp_path: Path) -> None:
    photo, notes = tmp_path / "my photo.png", tmp_path / "notes.txt"
    photo.write_bytes(b"x")
    notes.write_text("x")
    text = f"what's wrong with '{photo}', {notes} and /no/such.png?"
    assert image_paths_in(text) == [str(photo)]


def test_earlier_photos_by_order_all_or_pronoun() -> None:
    assert referred_images("and for the second photo?", KNOWN) == ["b.png"]
    assert referred_images("now the last image", KNOWN) == ["c.png"]
    assert referred_images("clean both of them", KNOWN[:2]) == ["a.png", "b.png"]
    assert referred_images("and clean it", KNOWN) == ["c.png"]
    assert referred_images("which model removes rain?", KNOWN) == []
    assert referred_images("the fifth photo", KNOWN) == [] and referred_images("clean it", []) == []
