"""`restore-agent report --script`: many reports from a job file, failures carried past and summed up."""
from __future__ import annotations

from pathlib import Path

import pytest

from agent.products.report.script import load_jobs
from tests.cli_run import run_cli
from tools.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


def write_jobs(folder: Path, text: str) -> Path:
    path = folder / "jobs.yaml"
    path.write_text(text)
    return path


def test_script_carries_on_past_a_failed_job_and_exits_non_zero(tmp_path: Path):
    jobs = write_jobs(tmp_path, """
jobs:
  - name: rain
    question: "Which model removes rain streaks and haze from photos?"
  - name: lost-photo
    question: "How do I remove the noise from this photo?"
    images: [photos/missing.png]
""")
    out = tmp_path / "reports"
    run = run_cli("report", "--script", jobs, "-o", out)
    assert run.code == 1, run.err
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "rain.html"]
    assert "1 of 2 job(s) succeeded; 1 failed" in run.out
    assert "lost-photo" in run.out and "failed" in run.out and "no such image file" in run.out
    index = (out / "index.html").read_text()
    assert 'href="rain.html"' in index and "no such image file" in index and "lost-photo" in index
    assert "<script" not in index


def test_script_refuses_existing_outputs_before_any_work(tmp_path: Path):
    jobs = write_jobs(tmp_path, "jobs:\n  - name: a\n    question: Which model removes haze?\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.html").write_text("mine")
    run = run_cli("report", "--script", jobs, "-o", tmp_path / "out")
    assert run.code == 2 and "output exists" in run.err and "--force" in run.err
    assert (tmp_path / "out" / "a.html").read_text() == "mine"
    assert not (tmp_path / "out" / "index.html").exists()


def test_script_refuses_an_unwritable_output_folder(tmp_path: Path):
    jobs = write_jobs(tmp_path, "jobs:\n  - question: Which model removes haze?\n")
    run = run_cli("report", "--script", jobs, "-o", jobs / "reports")
    assert run.code == 2 and "output folder" in run.err


@pytest.mark.parametrize("text, message", [
    ("jobs: [\n", "line 2"),
    ("jobs: []\n", "non-empty 'jobs' list"),
    ("jobs:\n  - question: a\n    colour: red\n", "job 1: unknown key 'colour'"),
    ("jobs:\n  - name: a\n  - name: a\n", "'a' is used more than once"),
    ("jobs:\n  - name: ../escape\n", "job 1: name"),
    ("jobs:\n  - noise: loud\n", "job 1: 'noise' must be a whole number"),
    ("jobs:\n  - format: pdf\n", "job 1: format must be html or md"),
    ("jobs:\n  - force_run: please\n", "job 1: 'force_run' must be true or false"),
    ("jobs:\n  - noise: true\n", "job 1: 'noise' must be a whole number"),
    ("defaults: {name: x}\njobs:\n  - question: a\n", "'defaults' takes"),
])
def test_job_file_errors_name_the_job_or_line(tmp_path: Path, text: str, message: str):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_jobs(write_jobs(tmp_path, text))


def test_example_job_file_is_valid_and_its_photos_exist():
    jobs = load_jobs(ROOT / "examples" / "jobs.yaml")
    assert len(jobs) >= 3 and len({job.name for job in jobs}) == len(jobs)
    assert any(job.job.images for job in jobs) and any(job.file_name.endswith(".md") for job in jobs)
    for job in jobs:
        assert all(image.is_file() for image in job.job.images), job.name


def _laughs() -> str:
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for before, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{before}"] * 9) + "]")
    return "\n".join([*lines, "jobs: [*i]"]) + "\n"


@pytest.mark.parametrize("text, message", [
    (_laughs(), "YAML aliases"),
    ("jobs: " + "[" * 3000 + "]" * 3000 + "\n", "nested deeper than"),
])
def test_job_files_within_the_limits_fail_fast_on_one_line(tmp_path: Path, text: str, message: str):
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(text)
    run = run_cli("report", "--script", str(jobs), "-o", str(tmp_path / "out"))
    assert run.code == 2 and run.err.startswith("error: job file") and run.err.count("\n") == 1, run.err
    assert message in run.err


def test_force_run_in_a_job_or_the_defaults_reaches_the_job(tmp_path: Path):
    jobs = load_jobs(write_jobs(tmp_path, "defaults: {force_run: true}\njobs:\n  - name: a\n  - name: b\n"
                                          "    force_run: false\n  - name: c\n    question: q\n"))
    assert [job.job.force_run for job in jobs] == [True, False, True]
    assert load_jobs(write_jobs(tmp_path, "jobs:\n  - question: q\n"))[0].job.force_run is False
    run = run_cli("report", "--script", tmp_path / "jobs.yaml", "--force-run", "-o", tmp_path / "out")
    assert run.code == 2 and "force_run from the job file" in run.err and not (tmp_path / "out").exists()
