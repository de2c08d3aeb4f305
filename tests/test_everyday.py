"""General-English word frequencies (wordfreq), read once into a cache that later questions reuse."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import everyday


@pytest.fixture()
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    everyday._word_sets.cache_clear()
    yield
    everyday._word_sets.cache_clear()


def test_everyday_and_rare_words(fresh: None) -> None:
    assert everyday.is_everyday("family") and everyday.is_everyday("Looking")
    assert not everyday.is_everyday("weather") and not everyday.is_everyday("decibels")
    assert everyday.is_rare("Dformer") and everyday.is_rare("hypernetwork") and not everyday.is_rare("GPU")


def test_the_word_sets_are_cached_and_reread(fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(everyday.CACHE_ENV, str(tmp_path))
    assert everyday.is_everyday("family")
    (cache,) = (tmp_path / "restore-agent").glob("everyday-en-wordfreq-*.json")
    data = json.loads(cache.read_text(encoding="utf-8"))
    assert "family" in data["everyday"] and "weather" in data["known"] and "weather" not in data["everyday"]
    data["everyday"].append("hypernetwork")  # the cache is what a later run reads
    cache.write_text(json.dumps(data), encoding="utf-8")
    everyday._word_sets.cache_clear()
    assert everyday.is_everyday("hypernetwork")


def test_an_unwritable_cache_folder_only_means_no_cache(fresh: None, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(everyday.CACHE_ENV, str(blocker))
    assert everyday.is_everyday("family") and not everyday.is_everyday("decibels")
