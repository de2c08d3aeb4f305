"""Training resumes from a checkpoint and continues the same curve."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image
from skimage import data

from tools.errors import UserError
from tools.swinir import load_swinir
from tools.swinir.train import (ResumeChanges, TrainConfig, export_weights, learning_rate, open_run,
                                training_loss)


@pytest.fixture()
def photo_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry"):
        Image.fromarray(getattr(data, name)()[:120, :160]).save(folder / f"{name}.png")
    return folder


def tiny_config(folder, unshuffle: int = 1) -> TrainConfig:
    cfg = TrainConfig(data=str(folder), patch=16, batch=2, steps=20, warmup=2, val_images=1, val_crop=32, val_every=2)
    cfg.model.update(embed_dim=12, depths=(2,), num_heads=(2,), img_size=16)
    if unshuffle > 1:
        cfg.model.update(unshuffle=unshuffle)
    return cfg


def test_resume_continues_the_same_curve(tmp_path, photo_folder):
    straight = open_run(tmp_path / "a", tiny_config(photo_folder))
    straight.fit(max_steps=6)

    first = open_run(tmp_path / "b", tiny_config(photo_folder))
    first.fit(max_steps=3)
    resumed = open_run(tmp_path / "b")  # config and state come from the checkpoint
    assert resumed.step == 3
    resumed.fit(max_steps=3)

    assert resumed.step == straight.step == 6
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name
    log_a = [json.loads(line) for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    log_b = [json.loads(line) for line in (tmp_path / "b" / "log.jsonl").read_text().splitlines()]
    assert [r["val_psnr"] for r in log_a] == [r["val_psnr"] for r in log_b if r["step"] % 2 == 0]


def test_training_lowers_the_loss(tmp_path, photo_folder):
    cfg = tiny_config(photo_folder)
    cfg.steps, cfg.lr = 60, 3e-3
    trainer = open_run(tmp_path / "run", cfg)
    first = sum(trainer.train_step() for _ in range(5)) / 5
    for _ in range(50):
        trainer.train_step()
    last = sum(trainer.train_step() for _ in range(5)) / 5
    assert last < first


def test_export_loads_as_official_layout(tmp_path, photo_folder):
    trainer = open_run(tmp_path / "run", tiny_config(photo_folder))
    trainer.fit(max_steps=1)
    path = export_weights(tmp_path / "run", tmp_path / "w.pth")
    model = load_swinir(path)
    assert model.config["embed_dim"] == 12 and model.config["in_chans"] == 3


def test_schedule_warms_up_then_decays():
    cfg = TrainConfig(steps=100, warmup=10, lr=1e-3, lr_min=1e-5)
    rates = [learning_rate(cfg, s) for s in range(100)]
    assert rates[0] < rates[9] == pytest.approx(1e-3)
    assert rates[50] < rates[10] and rates[99] == pytest.approx(1e-5, rel=0.05)


def test_warm_restart_starts_a_new_cycle_at_the_current_step():
    cfg = TrainConfig(steps=100, warmup=10, lr=1e-3, lr_min=1e-5)
    ResumeChanges(steps=300, restart_lr=5e-4).apply(cfg, step=100)
    rates = [learning_rate(cfg, s) for s in range(100, 300)]
    assert rates[0] < rates[9] == pytest.approx(5e-4)
    assert rates[100] < rates[10] and rates[199] == pytest.approx(1e-5, rel=0.05)


def test_resume_with_frozen_bias_keeps_the_tables_and_logs_the_change(tmp_path, photo_folder):
    open_run(tmp_path / "run", tiny_config(photo_folder)).fit(max_steps=2)
    trainer = open_run(tmp_path / "run", changes=ResumeChanges(restart_lr=5e-4, patch=24, freeze_position_bias=True))
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.fit(max_steps=3)
    after = trainer.model.state_dict()
    assert trainer.sampler.patch == 24 and trainer.cfg.cycle_start == 2
    for name, value in before.items():
        frozen = name.endswith("relative_position_bias_table") or not value.is_floating_point()
        assert torch.equal(value, after[name]) == frozen or name.endswith("attn_mask"), name
    events = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert {"step": 2, "resumed_with": {"restart_lr": 5e-4, "patch": 24, "freeze_position_bias": True}} in events


def test_resume_can_switch_to_l2_loss_and_a_new_batch(tmp_path, photo_folder):
    open_run(tmp_path / "run", tiny_config(photo_folder)).fit(max_steps=1)
    trainer = open_run(tmp_path / "run", changes=ResumeChanges(loss="l2", batch=3))
    assert trainer.sampler.batch(trainer.cfg.batch).shape[0] == 3
    out, clean = torch.full((1, 3, 4, 4), 0.5), torch.zeros(1, 3, 4, 4)
    assert training_loss(trainer.cfg, out, clean).item() == pytest.approx(0.25)
    assert training_loss(TrainConfig(), out, clean).item() == pytest.approx(0.5, rel=1e-4)


def test_resume_from_another_device_reseeds_the_noise_and_says_so(tmp_path, photo_folder):
    open_run(tmp_path / "run", tiny_config(photo_folder)).fit(max_steps=1)
    ckpt = tmp_path / "run" / "checkpoint.pt"
    state = torch.load(ckpt, weights_only=False)
    state["noise_rng"] = torch.zeros(16, dtype=torch.uint8)  # the size of a CUDA generator's state
    torch.save(state, ckpt)
    trainer = open_run(tmp_path / "run")
    trainer.fit(max_steps=1)
    assert trainer.step == 2
    events = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert any("noise_rng_reseeded" in e and e["step"] == 1 for e in events)


def test_new_run_needs_data(tmp_path):
    with pytest.raises(UserError, match="give --data"):
        open_run(tmp_path / "empty")


def test_unknown_loss_is_one_line_error_and_exit_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tools.swinir.train", "train", "--run", str(tmp_path / "r"),
                          "--loss", "l1"], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 2
    assert out.stderr.strip() == "error: --loss must be one of charbonnier, l2, not 'l1'"
    assert not (tmp_path / "r").exists()


def test_fine_tuning_starts_from_the_given_weights_and_their_architecture(tmp_path, photo_folder):
    open_run(tmp_path / "base", tiny_config(photo_folder)).fit(max_steps=2)
    weights = export_weights(tmp_path / "base", tmp_path / "base.pth", half=False)
    cfg = tiny_config(photo_folder)
    cfg.sigma, cfg.init = 25.0, str(weights)
    cfg.model.update(embed_dim=24)  # replaced by the architecture of the weights
    trainer = open_run(tmp_path / "s25", cfg)
    assert trainer.step == 0 and trainer.model.config["embed_dim"] == 12
    start = load_swinir(weights).state_dict()
    for name, value in trainer.model.state_dict().items():
        assert torch.equal(value, start[name]), name
    trainer.fit(max_steps=1)
    events = [json.loads(line) for line in (tmp_path / "s25" / "log.jsonl").read_text().splitlines()]
    assert events[0] == {"step": 0, "initialized_from": str(weights)}
    assert open_run(tmp_path / "s25").step == 1  # resumes from its own checkpoint, not the initial weights


def test_bf16_autocast_trains_and_logs_the_pace(tmp_path, photo_folder):
    cfg = tiny_config(photo_folder)
    cfg.precision = "bf16"
    trainer = open_run(tmp_path / "run", cfg)
    losses = [trainer.train_step() for _ in range(2)]
    assert all(0 < loss < 1 for loss in losses)
    trainer.fit(max_steps=2)
    record = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()][-1]
    assert record["steps_per_s"] > 0 and record["pixels_per_s"] == pytest.approx(
        record["steps_per_s"] * cfg.batch * cfg.patch**2, rel=1e-3)
    cfg.precision = "fp16"
    with pytest.raises(UserError, match="precision must be one of fp32, bf16"):
        open_run(tmp_path / "other", cfg)


@pytest.mark.parametrize("unshuffle", [1, 2])
def test_gray_run_from_color_weights_starts_where_the_color_network_was(tmp_path, photo_folder, unshuffle):
    open_run(tmp_path / "color", tiny_config(photo_folder, unshuffle)).fit(max_steps=2)
    weights = export_weights(tmp_path / "color", tmp_path / "color.pth", half=False)
    cfg = tiny_config(photo_folder, unshuffle)
    cfg.init, cfg.gray = str(weights), True
    trainer = open_run(tmp_path / "gray", cfg)
    assert trainer.model.config["in_chans"] == 1
    assert trainer.sampler.batch(2).shape == (2, cfg.patch, cfg.patch, 1)
    assert trainer.val_clean.shape[1] == 1
    color = load_swinir(weights).eval()
    gray = trainer.model.eval()
    plane = torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        expected = color(plane.repeat(1, 3, 1, 1)).mean(dim=1, keepdim=True)
        got = gray(plane)
    inner = (slice(None), slice(None), slice(8, -8), slice(8, -8))
    assert (got - expected)[inner].abs().max() < 0.02  # the same function, but for the zero-padded border
    trainer.model.train()
    trainer.fit(max_steps=1)
    assert open_run(tmp_path / "gray").model.config["in_chans"] == 1


def test_a_checkpoint_leaves_out_the_masks_and_its_export_and_fine_tunes_have_them(tmp_path, photo_folder):
    cfg = tiny_config(photo_folder, unshuffle=2)
    cfg.model.update(depths=(2, 2), num_heads=(2, 2))
    open_run(tmp_path / "base", cfg).fit(max_steps=2)
    saved = torch.load(tmp_path / "base" / "checkpoint.pt", weights_only=False)["model"]
    assert saved and not any(key.endswith("attn_mask") for key in saved)
    exported = torch.load(export_weights(tmp_path / "base", tmp_path / "w.pth"), weights_only=False)["params"]
    assert sum(key.endswith("attn_mask") for key in exported) == 2 and int(exported["unshuffle_factor"]) == 2
    resumed = open_run(tmp_path / "base")
    assert resumed.step == 2 and resumed.model.config["unshuffle"] == 2
    tune = tiny_config(photo_folder)
    tune.init, tune.sigma = str(tmp_path / "base" / "checkpoint.pt"), 25.0
    tuned = open_run(tmp_path / "s25", tune)  # from a run's checkpoint: the architecture, masks rebuilt
    assert tuned.model.config == resumed.model.config
    for name, value in load_swinir(tmp_path / "w.pth").state_dict().items():
        assert torch.allclose(value.float(), tuned.model.state_dict()[name].float(), atol=1e-3), name


def test_a_deepened_run_starts_as_the_shallower_network_and_trains_its_new_groups(tmp_path, photo_folder):
    open_run(tmp_path / "base", tiny_config(photo_folder, unshuffle=2)).fit(max_steps=2)
    weights = export_weights(tmp_path / "base", tmp_path / "base.pth", half=False)
    cfg = tiny_config(photo_folder)
    cfg.init, cfg.deepen_to = str(weights), 3
    trainer = open_run(tmp_path / "deep", cfg)
    assert trainer.model.config["depths"] == (2, 2, 2) and trainer.model.config["unshuffle"] == 2
    shallow, deep = load_swinir(weights).eval(), trainer.model.eval()
    photo = torch.rand(1, 3, 40, 48)
    with torch.no_grad():
        assert torch.equal(shallow(photo), deep(photo))  # the new groups pass their tokens through
    new_conv = trainer.model.layers[2].conv.weight
    assert not new_conv.any()
    trainer.model.train()
    trainer.fit(max_steps=2)
    assert new_conv.abs().sum() > 0  # training moves the new groups off the identity
    assert open_run(tmp_path / "deep").model.config["depths"] == (2, 2, 2)
    cfg.deepen_to = 1
    with pytest.raises(UserError, match="deepening to 1 residual groups needs more than the network's 1"):
        open_run(tmp_path / "shallower", cfg)
