"""Weights registry: official ids, install, download over real HTTP, and choosing weights for a run."""
from __future__ import annotations

import hashlib
import http.server
import threading
import time
from pathlib import Path

import pytest

from tests.swinir_helpers import home, save_checkpoint, save_sr_checkpoint  # noqa: F401 (home: fixture)
from tools.errors import DownloadFailed, SettingError, UserError, WeightsUnavailable
from tools.swinir import weights as registry




@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ckpt")
    return {"color": save_checkpoint(folder / "tiny_color.pth", 3), "gray": save_checkpoint(folder / "tiny_gray.pth", 1),
            "sr": save_sr_checkpoint(folder / "tiny_sr.pth")}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_registry_names_the_official_files_and_release_urls():
    official = [e for e in registry.REGISTRY if e.kind == "official"]
    assert {(e.channels, e.noise_level) for e in official} == {(c, n) for c in (1, 3) for n in (15, 25, 50)}
    color15 = registry.find("swinir-m-color-noise15")
    assert color15.file_name == "005_colorDN_DFWB_s128w8_SwinIR-M_noise15.pth"
    assert registry.find("swinir-m-gray-noise50").file_name == "004_grayDN_DFWB_s128w8_SwinIR-M_noise50.pth"
    assert color15.url == "https://github.com/JingyunLiang/SwinIR/releases/download/v0.0/" + color15.file_name


def test_official_file_names_match_the_paper_facts(shared_dir: Path):
    facts = (shared_dir / "knowledge" / "paper-facts.md").read_text()
    assert registry.find("swinir-m-color-noise15").file_name in facts
    assert registry.find("swinir-m-gray-noise15").file_name in facts


def test_home_follows_the_environment(home: Path):
    assert registry.weights_dir() == home / "weights"


def test_noise_level_from_file_names():
    assert registry.noise_from_name("005_colorDN_DFWB_s128w8_SwinIR-M_noise25.pth") == 25
    assert registry.noise_from_name("color_small.pth") is None


def test_install_copies_the_file_and_leaves_the_source_alone(checkpoints, home):
    source = checkpoints["color"]
    before = (digest(source), source.stat().st_mtime_ns)
    entry = registry.install(source, "swinir-m-color-noise15")
    assert entry.path == home / "weights" / "005_colorDN_DFWB_s128w8_SwinIR-M_noise15.pth"
    assert digest(entry.path) == before[0]
    assert (digest(source), source.stat().st_mtime_ns) == before
    assert registry.find("swinir-m-color-noise15").available
    assert registry.source_of(entry) == str(source.resolve())


def test_install_reads_noise_level_from_the_name_and_channels_from_the_tensors(checkpoints, tmp_path):
    named = tmp_path / "my_gray_noise25.pth"
    named.write_bytes(checkpoints["gray"].read_bytes())
    assert registry.install(named).id == "swinir-m-gray-noise25"


def test_install_needs_the_id_when_the_file_name_does_not_match_one(checkpoints, home, tmp_path):
    with pytest.raises(SettingError) as unnamed:
        registry.install(checkpoints["color"])
    assert (unnamed.value.setting, unnamed.value.value) == ("id", None)
    named = tmp_path / "tiny_color_noise25.pth"
    named.write_bytes(checkpoints["color"].read_bytes())
    with pytest.raises(SettingError) as mismatch:
        registry.install(named, "swinir-m-color-noise15")
    assert (mismatch.value.setting, mismatch.value.value) == ("id", "swinir-m-color-noise15")
    assert not (home / "weights").exists() or not any((home / "weights").iterdir())


@pytest.mark.parametrize("which,entry_id,message", [
    ("gray", "swinir-m-color-noise15", "gray checkpoint"),
    ("color", "no-such-id", "unknown weights id"),
    ("sr", "swinir-m-color-noise15", "super-resolution"),
])
def test_install_refusals_leave_nothing_behind(checkpoints, home, which, entry_id, message):
    with pytest.raises(UserError, match=message):
        registry.install(checkpoints[which], entry_id)
    assert not (home / "weights").exists() or not any((home / "weights").iterdir())


@pytest.mark.parametrize("content", [b"not a checkpoint at all", b"PK\x03\x04 truncated zip"])
def test_install_refuses_corrupt_files(tmp_path, content):
    bad = tmp_path / "bad_noise15.pth"
    bad.write_bytes(content)
    with pytest.raises(UserError) as err:
        registry.install(bad)
    assert "\n" not in str(err.value)


def test_install_refuses_a_checkpoint_of_another_network(tmp_path):
    import torch

    other = tmp_path / "resnet_noise15.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, other)
    with pytest.raises(UserError, match="not a SwinIR"):
        registry.install(other)


def test_resolve_without_weights_names_the_official_ones_to_get():
    for level, gray, weights_id in ((15, False, "swinir-m-color-noise15"), (50, True, "swinir-m-gray-noise50")):
        with pytest.raises(WeightsUnavailable) as missing:
            registry.resolve(level, gray=gray)
        exc = missing.value
        assert (exc.weights_id, exc.noise_level, exc.official) == (weights_id, level, True)


def test_resolve_prefers_matching_official_weights_then_any_official_then_embedded(checkpoints, tmp_path):
    embedded = tmp_path / "embedded"
    embedded.mkdir()
    (embedded / "swinir-s-noise15.pth").write_bytes(checkpoints["color"].read_bytes())
    assert "swinir-s-noise15" in [e.id for e in registry.entries()]
    assert registry.resolve(15).id == "swinir-s-noise15"
    registry.install(checkpoints["color"], "swinir-m-color-noise15")
    assert registry.resolve(15, gray=True).id == "swinir-m-color-noise15"
    registry.install(checkpoints["gray"], "swinir-m-gray-noise15")
    assert registry.resolve(15, gray=True).id == "swinir-m-gray-noise15"
    assert registry.resolve(None, gray=False).id == "swinir-m-color-noise15"
    with pytest.raises(UserError, match="noise level 25"):
        registry.resolve(25)


def test_half_resolution_weights_run_by_default_where_both_embedded_networks_are_present(checkpoints, tmp_path):
    embedded = tmp_path / "embedded"
    embedded.mkdir()
    (embedded / "swinir-s-noise15.pth").write_bytes(checkpoints["color"].read_bytes())
    assert registry.resolve(15).id == "swinir-s-noise15"
    assert not registry.find("swinir-half-noise15").available
    (embedded / "swinir-half-noise15.pth").write_bytes(checkpoints["color"].read_bytes())
    assert registry.resolve(15).id == "swinir-half-noise15" == registry.embedded_default().id
    assert [e.id for e in registry.embedded(15, channels=3)] == ["swinir-half-noise15", "swinir-s-noise15"]
    assert registry.embedded_default(15, channels=1) is None and registry.embedded_default(25) is None
    registry.install(checkpoints["color"], "swinir-m-color-noise15")
    assert registry.embedded_default().id == "swinir-half-noise15"  # the shipped default, whatever is installed
    assert registry.resolve(15, weights="swinir-s-noise15").id == "swinir-s-noise15"  # still there by name
    with pytest.raises(UserError, match="noise level 25"):
        registry.resolve(25)  # a sigma-15 network does not stand in for another level here


def test_embedded_entry_is_hidden_until_its_file_exists():
    assert "swinir-s-noise15" not in [e.id for e in registry.entries()]


def test_resolve_named_weights(checkpoints):
    assert registry.resolve(weights=str(checkpoints["color"])).kind == "file"
    with pytest.raises(WeightsUnavailable) as missing:
        registry.resolve(weights="swinir-m-color-noise25")
    assert missing.value.weights_id == "swinir-m-color-noise25" and missing.value.official
    with pytest.raises(SettingError) as bad:
        registry.resolve(weights="missing.pth")
    assert (bad.value.setting, bad.value.value) == ("weights", "missing.pth")
    registry.install(checkpoints["color"], "swinir-m-color-noise15")
    with pytest.raises(UserError, match="for noise level 15, not 50"):
        registry.resolve(50, weights="swinir-m-color-noise15")
    with pytest.raises(UserError, match="must be one of"):
        registry.resolve(30)


class _Server:
    """A local HTTP server in a thread; ``lie`` announces more bytes than it sends."""

    def __init__(self, payload: bytes, lie: bool = False) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload) + (1000 if lie else 0)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/weights.pth"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self) -> "_Server":
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_over_http_checks_and_installs(checkpoints):
    seen = []
    with _Server(checkpoints["gray"].read_bytes()) as server:
        entry = registry.download("swinir-m-gray-noise25", progress=lambda d, t: seen.append((d, t)), url=server.url)
    assert digest(entry.path) == digest(checkpoints["gray"])
    assert seen[-1] == (entry.path.stat().st_size,) * 2
    assert registry.source_of(entry) == server.url


def test_download_of_a_short_file_fails_and_leaves_nothing(checkpoints, home):
    with _Server(checkpoints["color"].read_bytes(), lie=True) as server, \
            pytest.raises(UserError, match="cannot download|incomplete"):
        registry.download("swinir-m-color-noise15", url=server.url)
    assert list((home / "weights").iterdir()) == []


def test_download_of_the_wrong_kind_is_refused(checkpoints, home):
    with _Server(checkpoints["color"].read_bytes()) as server, pytest.raises(UserError, match="is a 3-channel checkpoint"):
        registry.download("swinir-m-gray-noise15", url=server.url)
    assert list((home / "weights").iterdir()) == []


def test_download_without_network_fails_fast_and_points_to_install(home):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(DownloadFailed) as failed:
        registry.download("swinir-m-color-noise15", url=f"http://127.0.0.1:{port}/x.pth")
    assert failed.value.weights_id == "swinir-m-color-noise15" and failed.value.url.endswith("/x.pth")
    assert time.monotonic() - start < 5
    assert list((home / "weights").iterdir()) == []


def test_download_refuses_embedded_and_unknown_ids():
    with pytest.raises(UserError, match="shipped with the package"):
        registry.download("swinir-s-noise15")
    with pytest.raises(UserError, match="unknown weights id"):
        registry.download("swinir-m-color-noise99")


def test_checkpoint_falls_back_to_the_nearest_installed_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(registry.HOME_ENV, str(tmp_path / "home"))
    monkeypatch.setattr(registry, "EMBEDDED_DIR", tmp_path / "embedded")
    with pytest.raises(UserError, match="no SwinIR weights for noise level 15"):
        registry.resolve_nearest(15, gray=False)
    registry.install(save_checkpoint(tmp_path / "tiny.pth", 3), "swinir-m-color-noise25")
    chosen, note = registry.resolve_nearest(15, gray=False)
    assert chosen.id == "swinir-m-color-noise25" and "no noise-15 weights here" in note
    chosen, note = registry.resolve_nearest(25, gray=False)
    assert chosen.id == "swinir-m-color-noise25" and note is None


def test_shipped_weights_per_level_and_gray_are_picked_for_the_photo(checkpoints, tmp_path):
    embedded = tmp_path / "embedded"
    embedded.mkdir()
    for name, kind in (("swinir-s-noise15", "color"), ("swinir-s-noise50", "color"),
                       ("swinir-s-gray-noise50", "gray")):
        (embedded / f"{name}.pth").write_bytes(checkpoints[kind].read_bytes())
    listed = {e.id: e for e in registry.entries() if e.kind == "embedded"}
    assert set(listed) == {"swinir-s-noise15", "swinir-s-noise50", "swinir-s-gray-noise50"}
    assert listed["swinir-s-gray-noise50"].color == "gray"
    assert registry.resolve(50).id == "swinir-s-noise50"
    assert registry.resolve(50, gray=True).id == "swinir-s-gray-noise50"
    assert registry.resolve(15, gray=True).id == "swinir-s-noise15"  # no gray 15: the color weights
    chosen, note = registry.resolve_nearest(25)
    assert chosen.id == "swinir-s-noise15" and "ran swinir-s-noise15 (noise 15)" in note  # 15 is nearer 25 than 50
    assert registry.resolve_nearest(40, gray=True)[0].id == "swinir-s-gray-noise50"
