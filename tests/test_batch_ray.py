"""The Ray engine against the local one: byte-identical outputs and the same manifest apart from timings, with a
local Ray started in the test."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.batch_helpers import file_hashes, make_archive, manifest, without_timings
from tests.cli_run import run_cli
from tools.batch.local import run_local
from tools.batch.plan import plan_batch
from tools.batch.run import run_batch
from tools.batch.settings import BatchSettings

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[cluster]'): the ray engine "
                                        "cannot be tested")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_and_local_engines_give_identical_outputs_and_manifests(local_ray, tmp_path: Path):
    from tools.batch.ray_engine import run_ray

    source = tmp_path / "in"
    make_archive(source, good=5)
    settings = BatchSettings()  # the shipped weights, each photo's level from its analysis
    local_plan = plan_batch(source, tmp_path / "local", settings, recursive=True)
    local = run_batch(local_plan, lambda tasks: run_local(tasks, settings, jobs=2, threads=1))
    ray_plan = plan_batch(source, tmp_path / "ray", settings, recursive=True)
    on_ray = run_batch(ray_plan, lambda tasks: run_ray(tasks, settings, actors=2, cpus_per_actor=1))

    assert local.counts == on_ray.counts and sum(local.counts.values()) == 7 and local.counts["failed"] == 2
    assert len(on_ray.workers) == 2  # both actors worked
    def photos(out: Path) -> dict[str, str]:
        return {name: digest for name, digest in file_hashes(out).items() if name != "manifest.jsonl"}

    assert len(photos(tmp_path / "local")) == 5 and photos(tmp_path / "ray") == photos(tmp_path / "local")

    def by_input(out: Path) -> dict[str, dict]:
        return {entry["input"]["path"]: without_timings(entry) for entry in manifest(out)}

    assert by_input(tmp_path / "ray") == by_input(tmp_path / "local")


def test_the_command_line_on_ray_resumes_a_local_run(local_ray, tmp_path: Path):
    source = tmp_path / "in"
    make_archive(source)
    assert run_cli("batch", source, "-o", tmp_path / "out", "-r").code == 1
    lines = len(manifest(tmp_path / "out"))
    run = run_cli("batch", source, "-o", tmp_path / "out", "-r", "--engine", "ray",
                  "--jobs", "2", "--json")
    assert run.code == 1 and '"resumed": 3' in run.out and '"failed": 2' in run.out
    assert sorted(entry["input"]["path"] for entry in manifest(tmp_path / "out")[lines:]) == [
        "sub/bad.png", "sub/deeper/truncated.jpg"]
