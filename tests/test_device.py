"""Where the network runs (``--device``): the choice, the refusal of an absent GPU, the memory budget a device
gives the tiling, and the GPU resources of batch workers. Runs on CPU-only machines: GPUs are simulated by
patching what torch reports."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.cli_run import run_cli
from tools.errors import SettingError, UserError
from tools.swinir import device as dev

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "tools" / "swinir" / "weights" / "swinir-s-noise15.pth"
HAS_GPU = torch.cuda.is_available() or dev.mps_available()
cpu_only = pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")


@pytest.fixture
def photo(sample_photo, tmp_path: Path) -> Path:
    """A noisy 40 x 56 color crop as a PNG file."""
    clean = sample_photo[100:140, 180:236]
    noisy = np.clip(clean + np.random.default_rng(1).normal(0, 15, clean.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "noisy.png"
    Image.fromarray(noisy).save(path)
    return path


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch):
    """torch reports one CUDA device with 8 GB, of which ``memory["free"]`` bytes are free."""
    memory = {"free": 8e9, "total": 8e9}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda *a: (memory["free"], memory["total"]))
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda *a: 0)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda *a: 0)
    monkeypatch.setattr(dev, "_SHARE", {"gpu": 1.0})
    return memory


@cpu_only
def test_auto_resolves_to_the_cpu_here():
    assert dev.resolve_device("auto") == "cpu" and dev.resolve_device("cpu") == "cpu"


def test_auto_takes_cuda_where_torch_sees_it_and_mps_otherwise(fake_cuda, monkeypatch):
    assert dev.resolve_device("auto") == "cuda" and dev.resolve_device("cuda") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(dev, "mps_available", lambda: True)
    assert dev.resolve_device("auto") == "mps"
    with pytest.raises(dev.DeviceUnavailable, match="device cuda: no CUDA device is available here"):
        dev.resolve_device("cuda")


def test_an_unknown_device_is_a_setting_error_and_the_cli_choices_are_the_devices():
    from agent.cli.options import Device

    with pytest.raises(SettingError, match="device must be one of auto, cpu, cuda, mps, got gpu"):
        dev.resolve_device("gpu")
    assert tuple(choice.value for choice in Device) == dev.DEVICES


def test_checking_auto_or_cpu_does_not_import_torch():
    code = ("import sys; from tools.swinir.device import check_run; check_run('auto'); check_run('cpu'); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_explicit_cpu_runs_end_to_end_through_the_cli(photo, tmp_path):
    pinned, chosen = tmp_path / "cpu.png", tmp_path / "auto.png"
    done = run_cli("denoise", photo, "-o", pinned, "--weights", SHIPPED, "--device", "cpu", "--json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["device"] == "cpu"
    assert Image.open(pinned).size == (56, 40)
    if not HAS_GPU:  # auto is the CPU here, and the same arithmetic
        assert run_cli("denoise", photo, "-o", chosen, "--weights", SHIPPED).code == 0
        assert pinned.read_bytes() == chosen.read_bytes()


@cpu_only
@pytest.mark.parametrize("name,kind", [("cuda", "CUDA"), ("mps", "Apple MPS")])
def test_an_absent_gpu_is_one_line_and_nothing_is_written(photo, tmp_path, name, kind):
    out = tmp_path / "out.png"
    done = run_cli("denoise", photo, "-o", out, "--weights", SHIPPED, "--device", name)
    assert done.code == 2 and "Traceback" not in done.err
    assert re.fullmatch(rf"error: --device {name}: no {kind} device is available here \(torch "
                        rf"{re.escape(torch.__version__)}, (CPU|CUDA [\d.]+) build\)\n", done.err)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["noisy.png"]


@cpu_only
@pytest.mark.parametrize("command", [
    ("demo", "--image", "{photo}", "-o", "{tmp}/demo"),
    ("batch", "{tmp}/in", "-o", "{tmp}/batch"),
    ("report", "--image", "{photo}", "-q", "How do I remove the noise?", "-o", "{tmp}/report.html"),
])
def test_demo_batch_and_report_refuse_an_absent_gpu_before_writing(photo, tmp_path, command):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(photo.read_bytes())
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    args = [arg.format(photo=photo, tmp=tmp_path) for arg in command]
    done = run_cli(*args, "--device", "cuda")
    assert done.code == 2 and done.err.startswith("error: --device cuda: no CUDA device") and done.err.count("\n") == 1
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


@cpu_only
def test_fp16_runs_on_gpus_only(photo, tmp_path):
    done = run_cli("denoise", photo, "-o", tmp_path / "out.png", "--weights", SHIPPED, "--precision", "fp16")
    assert done.code == 2
    assert "--precision must be fp32 or bf16 on the CPU (fp16 runs on a GPU only), got fp16" in done.err
    assert not (tmp_path / "out.png").exists()


def test_bf16_on_a_gpu_without_it_is_refused(fake_cuda, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    with pytest.raises(SettingError, match="precision must be fp32 or fp16 on this GPU"):
        dev.check_run("auto", "bf16")
    dev.check_run("auto", "fp16")


def test_the_budget_is_the_devices_free_memory_capped_and_shared(fake_cuda):
    fake_cuda["free"] = 5e9
    assert dev.memory_budget("cuda") == pytest.approx(dev.GPU_HEADROOM * 5e9)
    assert dev.memory_budget("cuda", 1e9) == 1e9  # asked for, and there
    assert dev.memory_budget("cuda", 64e9) == pytest.approx(dev.GPU_HEADROOM * 5e9)  # at most what is free
    dev.share_device(0.25)  # one of four workers on the GPU
    assert dev.memory_budget("cuda") == pytest.approx(dev.GPU_HEADROOM * 2e9)
    assert dev.memory_budget("cpu") == dev.DEFAULT_MAX_MEMORY and dev.memory_budget("cpu", 3e9) == 3e9


def test_mps_budget_is_the_recommended_working_set_less_what_is_held(monkeypatch):
    monkeypatch.setattr(torch.mps, "recommended_max_memory", lambda: 10e9, raising=False)
    monkeypatch.setattr(torch.mps, "driver_allocated_memory", lambda: 4e9)
    monkeypatch.setattr(dev, "_SHARE", {"gpu": 1.0})
    assert dev.memory_budget("mps") == pytest.approx(dev.GPU_HEADROOM * 6e9)


@pytest.fixture
def tiny_weights(tmp_path, monkeypatch):
    from tests.swinir_helpers import save_checkpoint
    from tools.swinir import weights as registry

    monkeypatch.setenv(registry.HOME_ENV, str(tmp_path / "home"))
    return save_checkpoint(tmp_path / "tiny_noise15.pth")


def test_the_tiles_are_sized_by_the_devices_free_memory(photo, tiny_weights, tmp_path, fake_cuda, monkeypatch):
    """A run on "CUDA" (the model stays on the CPU; torch reports the GPU's memory): a GPU with little free
    memory cuts the photo in tiles, one with plenty runs it whole."""
    from tools.swinir import service

    load = service.load_model
    monkeypatch.setattr(service, "load_model", lambda path, device: load(path))
    fake_cuda["free"] = 8e9
    whole = service.denoise_file(photo, tmp_path / "whole.png", weights=str(tiny_weights), device="cuda")
    fake_cuda["free"] = 2e6
    tiled = service.denoise_file(photo, tmp_path / "tiled.png", weights=str(tiny_weights), device="cuda", overlap=16)
    assert (whole.device, whole.tiles) == ("cuda", 1)
    assert tiled.device == "cuda" and tiled.tiles > 1


def test_running_out_of_gpu_memory_is_one_line(monkeypatch):
    emptied = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(True))
    with pytest.raises(UserError, match="the cuda device ran out of memory with a 1.50 GB working-memory budget"):
        with dev.out_of_memory_said("cuda", 1.5e9):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    assert emptied


def test_ray_actors_ask_for_gpus_on_cuda_and_share_them_when_fewer():
    from tools.batch.ray_engine import actor_options, ray_device

    assert ray_device("auto", 2.0) == "cuda" and ray_device("cpu", 2.0) == "cpu"
    assert ray_device("auto", 0.0) == "auto"  # each actor resolves it on its node
    with pytest.raises(dev.DeviceUnavailable, match="the Ray cluster has no GPU"):
        ray_device("cuda", 0.0)
    assert actor_options("cuda", 2, 2, 4.0) == {"num_cpus": 2, "num_gpus": 1.0}
    assert actor_options("cuda", 1, 4, 2.0) == {"num_cpus": 1, "num_gpus": 0.5}
    assert actor_options("cuda", 1, 3, 1.0)["num_gpus"] == 0.3333  # three fit on one GPU
    assert actor_options("cpu", 3, 4, 2.0) == {"num_cpus": 3, "num_gpus": 0.0}


class _FakeRay:
    """Just enough of Ray for :func:`run_ray` to place its actors: records what they ask for."""

    def __init__(self, gpus: float) -> None:
        self.gpus, self.options, self.actors, self.killed = gpus, None, [], []

    def is_initialized(self) -> bool:
        return True

    def cluster_resources(self) -> dict:
        return {"CPU": 16.0, **({"GPU": self.gpus} if self.gpus else {})}

    def remote(self, **options):
        self.options = options
        fake = self

        class Actor:
            @staticmethod
            def remote(*args):
                fake.actors.append(args)
                return len(fake.actors)

        return lambda cls: Actor

    def kill(self, actor) -> None:
        self.killed.append(actor)


def test_run_ray_places_actors_on_the_clusters_gpus(fake_cuda, monkeypatch):
    from tools.batch.ray_engine import run_ray
    from tools.batch.settings import BatchSettings

    ray = _FakeRay(gpus=2.0)
    monkeypatch.setitem(sys.modules, "ray", ray)
    assert list(run_ray([], BatchSettings(), actors=3, cpus_per_actor=2)) == []
    assert ray.options == {"num_cpus": 2, "num_gpus": 0.5}
    assert [(settings.device, cpus, share) for settings, cpus, share in ray.actors] == [("cuda", 2, 0.5)] * 3
    assert ray.killed == [1, 2, 3]

    ray = _FakeRay(gpus=0.0)
    monkeypatch.setitem(sys.modules, "ray", ray)
    assert list(run_ray([], BatchSettings(device="cpu"), actors=2)) == []
    assert ray.options == {"num_cpus": 1, "num_gpus": 0.0} and ray.actors[0][0].device == "cpu"


def test_local_workers_share_one_gpu_and_the_device_is_not_a_resume_setting(fake_cuda):
    from tools.batch.run import local_gpu_share
    from tools.batch.settings import BatchSettings

    assert local_gpu_share(BatchSettings(), 4) == 0.25
    assert local_gpu_share(BatchSettings(device="cpu"), 4) == 1.0
    assert local_gpu_share(BatchSettings(), 1) == 1.0
    assert BatchSettings(device="cpu").to_json() == BatchSettings(device="cuda").to_json()


def test_job_files_carry_a_device_and_the_command_line_gives_the_default(tmp_path):
    from agent.products.report.script import load_jobs

    script = tmp_path / "jobs.yaml"
    script.write_text("jobs:\n  - name: a\n  - name: b\n    device: cpu\n")
    assert [job.job.device for job in load_jobs(script, "cuda")] == ["cuda", "cpu"]
    assert [job.job.device for job in load_jobs(script)] == ["auto", "cpu"]
    script.write_text("jobs:\n  - device: gpu\n")
    with pytest.raises(UserError, match="job 1: device must be one of auto, cpu, cuda, mps, got 'gpu'"):
        load_jobs(script)
