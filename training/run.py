"""Start or resume one of the training runs described in ``training/configs``.

    python training/run.py training/configs/color_s25.json --minutes 30
    python training/run.py training/configs/color_s25.json --device cuda --precision bf16 --batch 32
    python training/run.py training/configs/color_s25.json --export     # write the weights named in the config

The run lives in ``training/runs/<name>/`` (checkpoint, ``log.jsonl``): running the same command again
resumes it where it stopped, with the same schedule, so a run can be spread over several sessions or
machines (CPU and GPU checkpoints are interchangeable). Paths in a config are relative to the repository.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "training" / "runs"


def load_plan(path: Path) -> dict:
    """A run description: its name, the weights file it exports to, and its ``TrainConfig`` fields."""
    plan = json.loads(Path(path).read_text())
    config = dict(plan["config"])
    for key in ("data", "init"):
        if config.get(key):
            config[key] = str((ROOT / config[key]).resolve())
    return {**plan, "config": config}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--minutes", type=float, help="stop after this many minutes (resume later)")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    parser.add_argument("--precision", choices=("fp32", "bf16"), help="change the run's arithmetic")
    parser.add_argument("--batch", type=int, help="change the run's patches per step")
    parser.add_argument("--export", action="store_true", help="write the run's weights to the config's export path")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tools.swinir.runtime import configure_process

    configure_process()
    from tools.swinir.train import ResumeChanges, TrainConfig, export_weights, open_run

    plan = load_plan(args.config)
    run = RUNS / plan["name"]
    if args.export:
        print(f"wrote {export_weights(run, ROOT / plan['export'])}")
        return
    changes = ResumeChanges(precision=args.precision, batch=args.batch)
    cfg = TrainConfig(**plan["config"])
    changes.apply(cfg, 0)
    trainer = open_run(run, cfg, device=args.device, changes=changes)
    print(f"{plan['name']}: step {trainer.step}/{trainer.cfg.steps} on {trainer.device}, "
          f"{trainer.model.num_params / 1e6:.2f} M parameters")
    trainer.fit(minutes=args.minutes)
    print(f"{plan['name']}: step {trainer.step}; export with: python training/run.py {args.config} --export")


if __name__ == "__main__":
    main()
