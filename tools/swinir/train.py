"""Train a small SwinIR denoiser on a folder of clean photos; resumable, CPU or CUDA unchanged.

    python -m tools.swinir.train --data ../shared/data/train/CBSD432 --run runs/s15 --sigma 15 --minutes 60
    python -m tools.swinir.train --run runs/s15 --minutes 60          # resume where it stopped
    python -m tools.swinir.train --run runs/s15 --steps 12000 --restart-lr 5e-4   # a new cosine cycle
    python -m tools.swinir.train --run runs/s25 --data ... --sigma 25 --init runs/s15/checkpoint.pt  # fine-tune
    python -m tools.swinir.train export runs/s15 tools/swinir/weights/swinir-s-noise15.pth

Random crops with flips and rotations, Gaussian noise added on the fly (sigma on the 0..255
scale, or a range), Charbonnier loss (or L2, which targets PSNR directly, for a final cycle),
Adam with warm-up and cosine decay (restartable from any step), gradient clipping, fixed seeds.
A checkpoint (model, optimizer, step, every RNG) is written atomically every few minutes and at
the end; validation PSNR on held-out crops and the pace (steps and pixels per second) are logged to
``log.jsonl``. ``--precision bf16`` runs forward and loss in bfloat16 autocast (for GPUs and CPUs with
native bfloat16; several times slower on others), ``--compile`` compiles the network with torch.compile.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # an entry point: process settings before torch starts (tools.swinir.runtime)
    from tools.swinir.runtime import configure_process

    configure_process()
import torch
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tools.errors import UserError
from tools.fileio import write_atomic
from tools.swinir.checkpoints import (deepened, export_weights, gray_from_color, initial_weights, load_trained,
                                     trained_state)
from tools.swinir.loading import infer_config
from tools.swinir.model import SwinIR
from tools.swinir.patches import PatchSampler, list_images, load_image, to_tensor
from tools.swinir.runtime import configure_process

console = Console(stderr=True)


@dataclass
class TrainConfig:
    """Everything that defines a run; stored in the checkpoint so a resume continues it exactly."""

    data: str = ""
    sigma: float = 15.0
    sigma_max: float | None = None  # train over [sigma, sigma_max] when set
    patch: int = 64
    batch: int = 8
    steps: int = 20000
    lr: float = 1e-3
    lr_min: float = 1e-5
    warmup: int = 300
    cycle_start: int = 0  # step where the current warm-up + cosine cycle began (a warm restart moves it)
    freeze_position_bias: bool = False  # keeps the bias tables fixed, so attention runs in the fused kernel
    precision: str = "fp32"  # or "bf16": forward and loss in bfloat16 autocast (fast on GPUs and bf16 CPUs)
    compile: bool = False  # torch.compile the network (minutes of compiling first, then faster steps)
    clip: float = 0.5
    loss: str = "charbonnier"  # or "l2"
    charbonnier_eps: float = 1e-3
    seed: int = 0
    val_images: int = 4
    val_crop: int = 128
    val_every: int = 250
    checkpoint_minutes: float = 3.0
    init: str = ""  # weights a new run starts from (a run's checkpoint.pt or a .pth); its architecture is kept
    gray: bool = False  # train on luminance; a color ``init`` is converted (see ``gray_from_color``)
    deepen_to: int = 0  # with ``init``: residual groups appended up to this many, as identities (``deepened``)
    model: dict = field(default_factory=lambda: dict(
        in_chans=3, embed_dim=48, depths=(2, 2, 2, 2), num_heads=(6, 6, 6, 6),
        window_size=8, mlp_ratio=2.0, img_size=64, resi_connection="1conv"))


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up from ``cycle_start``, then cosine decay from ``lr`` to ``lr_min`` at ``steps``."""
    step, length = step - cfg.cycle_start, cfg.steps - cfg.cycle_start
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = min(1.0, (step - cfg.warmup) / max(1, length - cfg.warmup))
    return cfg.lr_min + 0.5 * (cfg.lr - cfg.lr_min) * (1 + math.cos(math.pi * t))


LOSSES = ("charbonnier", "l2")
PRECISIONS = ("fp32", "bf16")


def training_loss(cfg: TrainConfig, out: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """Charbonnier (a smooth L1) or plain mean squared error, as the run's config says."""
    if cfg.loss == "l2":
        return torch.mean((out - clean) ** 2)
    return torch.sqrt((out - clean) ** 2 + cfg.charbonnier_eps**2).mean()


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = torch.mean((a.clamp(0, 1) - b) ** 2).item()
    return 10 * math.log10(1.0 / max(mse, 1e-12))


class Trainer:
    """One training run in a folder: ``checkpoint.pt``, ``log.jsonl``, ``config.json``."""

    def __init__(self, run: Path, cfg: TrainConfig, device: str | None = None) -> None:
        self.run, self.cfg = Path(run), cfg
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        torch.manual_seed(cfg.seed)
        random.seed(cfg.seed)
        self.model = SwinIR(**cfg.model).to(self.device).set_attention("fast")
        for name, param in self.model.named_parameters():
            if name.endswith("relative_position_bias_table"):
                param.requires_grad_(not cfg.freeze_position_bias)  # Adam skips parameters without a gradient
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        if cfg.precision not in PRECISIONS:
            raise UserError(f"precision must be one of {', '.join(PRECISIONS)}, not {cfg.precision!r}")
        self.forward = torch.compile(self.model) if cfg.compile else self.model
        self.rng = np.random.default_rng(cfg.seed)
        self.noise_gen = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        self.step = 0
        paths = list_images(Path(cfg.data))
        held_out, train = paths[:cfg.val_images], paths[cfg.val_images:]
        self.channels = int(cfg.model["in_chans"])
        self.sampler = PatchSampler([load_image(p, self.channels) for p in train], cfg.patch, self.rng)
        self.val_clean, self.val_noisy = self._validation_set(held_out)

    def _validation_set(self, paths: list[Path]) -> tuple[torch.Tensor, torch.Tensor]:
        """Centre crops of held-out images with fixed noise at the (lowest) training sigma."""
        c = self.cfg.val_crop
        crops = []
        for p in paths:
            img = load_image(p, self.channels)
            y, x = (img.shape[0] - c) // 2, (img.shape[1] - c) // 2
            crops.append(img[y:y + c, x:x + c])
        clean = to_tensor(np.stack(crops), self.device)
        gen = torch.Generator(device=self.device).manual_seed(1234)
        noise = torch.randn(clean.shape, generator=gen, device=self.device) * (self.cfg.sigma / 255.0)
        return clean, clean + noise

    def noisy(self, clean: torch.Tensor) -> torch.Tensor:
        n = clean.shape[0]
        sigma = torch.full((n, 1, 1, 1), self.cfg.sigma, device=self.device)
        if self.cfg.sigma_max is not None:
            u = torch.rand((n, 1, 1, 1), generator=self.noise_gen, device=self.device)
            sigma = self.cfg.sigma + u * (self.cfg.sigma_max - self.cfg.sigma)
        return clean + torch.randn(clean.shape, generator=self.noise_gen, device=self.device) * sigma / 255.0

    def autocast(self):
        """bfloat16 autocast when the run asks for it (the weights and the optimizer stay float32)."""
        enabled = self.cfg.precision == "bf16"
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=enabled)

    def validate(self) -> float:
        self.model.eval()
        with torch.no_grad():
            out = self.model(self.val_noisy)
        self.model.train()
        return psnr(out, self.val_clean)

    def train_step(self) -> float:
        for group in self.opt.param_groups:
            group["lr"] = learning_rate(self.cfg, self.step)
        clean = to_tensor(self.sampler.batch(self.cfg.batch), self.device)
        with self.autocast():
            out = self.forward(self.noisy(clean))
            loss = training_loss(self.cfg, out.float(), clean)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip)
        self.opt.step()
        self.step += 1
        return loss.item()

    # -- persistence -------------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "config": asdict(self.cfg), "step": self.step, "model": trained_state(self.model),
            "optimizer": self.opt.state_dict(), "numpy_rng": self.rng.bit_generator.state,
            "noise_rng": self.noise_gen.get_state(), "torch_rng": torch.get_rng_state(),
            "python_rng": random.getstate(),
        }

    def save(self) -> Path:
        self.run.mkdir(parents=True, exist_ok=True)
        state = self.state()
        return write_atomic(self.run / "checkpoint.pt", lambda tmp: torch.save(state, tmp))

    def restore(self, state: dict) -> None:
        load_trained(self.model, state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.step = int(state["step"])
        self.rng.bit_generator.state = state["numpy_rng"]
        try:
            self.noise_gen.set_state(state["noise_rng"])
        except RuntimeError:  # saved on another device type (CPU and CUDA generator states differ)
            self.noise_gen.manual_seed(self.cfg.seed + 1 + self.step)
            self.log({"step": self.step,
                      "noise_rng_reseeded": f"saved state does not fit a {self.device.type} generator"})
        torch.set_rng_state(state["torch_rng"])
        random.setstate(state["python_rng"])

    def log(self, record: dict) -> None:
        self.run.mkdir(parents=True, exist_ok=True)
        with open(self.run / "log.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    def fit(self, minutes: float | None = None, max_steps: int | None = None) -> None:
        """Train until ``cfg.steps``, the time budget, or ``max_steps`` more steps, whichever comes first."""
        start, last_save = time.monotonic(), time.monotonic()
        stop_at = min(self.cfg.steps, self.step + max_steps) if max_steps else self.cfg.steps
        losses: list[float] = []
        pace = [0.0, 0]  # seconds in training steps and steps since the last log record
        columns = (TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]:.4f}  val {task.fields[val]:.2f} dB"), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("train", total=self.cfg.steps, completed=self.step, loss=float("nan"), val=float("nan"))
            while self.step < stop_at:
                began = time.perf_counter()
                losses.append(self.train_step())
                pace[0], pace[1] = pace[0] + time.perf_counter() - began, pace[1] + 1
                if self.step % self.cfg.val_every == 0 or self.step == stop_at:
                    val = self.validate()
                    steps_per_s = pace[1] / max(pace[0], 1e-9)
                    self.log({"step": self.step, "loss": float(np.mean(losses)), "val_psnr": round(val, 3),
                              "lr": learning_rate(self.cfg, self.step), "elapsed_s": round(time.monotonic() - start, 1),
                              "steps_per_s": round(steps_per_s, 4),
                              "pixels_per_s": round(steps_per_s * self.cfg.batch * self.cfg.patch**2)})
                    pace = [0.0, 0]
                    bar.update(task, val=val)
                bar.update(task, completed=self.step, loss=losses[-1])
                if self.step % self.cfg.val_every == 0:
                    losses.clear()
                if time.monotonic() - last_save > self.cfg.checkpoint_minutes * 60:
                    self.save()
                    last_save = time.monotonic()
                if minutes is not None and time.monotonic() - start > minutes * 60:
                    break
        self.save()


@dataclass
class ResumeChanges:
    """What a resumed run may change; ``None`` keeps the saved value."""

    steps: int | None = None  # new schedule length; the cosine decay follows
    restart_lr: float | None = None  # start a new warm-up + cosine cycle at the current step with this peak
    patch: int | None = None
    batch: int | None = None
    loss: str | None = None
    freeze_position_bias: bool | None = None
    precision: str | None = None
    compile: bool | None = None

    def apply(self, cfg: TrainConfig, step: int) -> TrainConfig:
        if self.steps is not None:
            cfg.steps = self.steps
        if self.restart_lr is not None:
            cfg.lr, cfg.cycle_start = self.restart_lr, step
        if self.patch is not None:
            cfg.patch = self.patch  # masks follow the input size; ``model.img_size`` stays for the state dict
        if self.batch is not None:
            cfg.batch = self.batch
        if self.loss is not None:
            cfg.loss = self.loss
        if self.freeze_position_bias is not None:
            cfg.freeze_position_bias = self.freeze_position_bias
        if self.precision is not None:
            cfg.precision = self.precision
        if self.compile is not None:
            cfg.compile = self.compile
        return cfg


def open_run(run: Path, cfg: TrainConfig | None = None, device: str | None = None,
             changes: ResumeChanges | None = None) -> Trainer:
    """A new run from ``cfg``, or the run in ``run`` resumed from its checkpoint with ``changes``."""
    ckpt = Path(run) / "checkpoint.pt"
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        saved = TrainConfig(**state["config"])
        if cfg is not None and cfg.data:
            saved.data = cfg.data  # the data folder may have moved
        if changes is not None:
            changes.apply(saved, int(state["step"]))
        trainer = Trainer(run, saved, device)
        trainer.restore(state)
        changed = {k: v for k, v in asdict(changes).items() if v is not None} if changes else {}
        if changed:
            trainer.log({"step": trainer.step, "resumed_with": changed})
        return trainer
    if cfg is None or not cfg.data:
        raise UserError(f"no checkpoint in {run}: give --data to start a new run")
    if not cfg.init:
        if cfg.gray:
            cfg.model = {**cfg.model, "in_chans": 1}
        return Trainer(run, cfg, device)
    weights = initial_weights(Path(cfg.init))  # a fine-tuning run: the starting network's architecture and weights
    if cfg.gray and infer_config(weights)["in_chans"] == 3:
        weights = gray_from_color(weights)
    if cfg.deepen_to:
        weights = deepened(weights, cfg.deepen_to, cfg.seed)
    cfg.model = infer_config(weights)
    trainer = Trainer(run, cfg, device)
    trainer.model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights.items()})
    trainer.log({"step": 0, "initialized_from": cfg.init})
    return trainer


cli = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)


@cli.command("train")
def train_command(
    run: Path = typer.Option(..., help="Run folder (checkpoint, log); resumed when it has a checkpoint."),
    data: str = typer.Option("", help="Folder of clean training images (needed for a new run)."),
    init: str = typer.Option("", help="A new run starts from these weights (a run's checkpoint.pt or a .pth), "
                             "keeping their architecture: fine-tuning."),
    gray: bool = typer.Option(False, "--gray", help="Train on gray photos (a color --init is converted)."),
    deepen_to: int = typer.Option(0, help="With --init: append residual groups, as identities, up to this many."),
    sigma: float = typer.Option(15.0, help="Noise sigma on the 0..255 scale (lower end with --sigma-max)."),
    sigma_max: float = typer.Option(None, help="Train over a sigma range [sigma, sigma-max]."),
    steps: int = typer.Option(None, help="Total steps of the schedule (default 20000; on resume, changes it)."),
    restart_lr: float = typer.Option(None, help="On resume: start a new warm-up + cosine cycle with this peak."),
    freeze_position_bias: bool = typer.Option(None, "--freeze-position-bias/--train-position-bias",
                                              help="Keep the attention bias tables fixed (faster fused attention)."),
    minutes: float = typer.Option(None, help="Stop after this many minutes (resume later)."),
    threads: int = typer.Option(None, help="CPU threads for torch."),
    embed_dim: int = typer.Option(48), blocks: int = typer.Option(4), layers: int = typer.Option(2),
    patch: int = typer.Option(None, help="Patch size (default 64; on resume, changes it)."),
    batch: int = typer.Option(None, help="Patches per step (default 8; on resume, changes it)."),
    loss: str = typer.Option(None, help="charbonnier (default) or l2 (on resume, changes it)."),
    precision: str = typer.Option(None, help="fp32 (default) or bf16 autocast (on resume, changes it)."),
    compile_: bool = typer.Option(None, "--compile/--no-compile", help="torch.compile the network (on resume, "
                                  "changes it)."),
    lr: float = typer.Option(1e-3),
) -> None:
    """Train (or resume) a small SwinIR denoiser."""
    configure_process()
    if loss is not None and loss not in LOSSES:
        raise UserError(f"--loss must be one of {', '.join(LOSSES)}, not {loss!r}")
    if precision is not None and precision not in PRECISIONS:
        raise UserError(f"--precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if threads:
        torch.set_num_threads(threads)
    cfg = TrainConfig(data=data, sigma=sigma, sigma_max=sigma_max, steps=steps or 20000, patch=patch or 64,
                      batch=batch or 8, loss=loss or "charbonnier", lr=lr, freeze_position_bias=bool(freeze_position_bias),
                      precision=precision or "fp32", compile=bool(compile_), init=init, gray=gray,
                      deepen_to=deepen_to)
    cfg.model.update(embed_dim=embed_dim, depths=(layers,) * blocks, num_heads=(6,) * blocks, img_size=cfg.patch)
    changes = ResumeChanges(steps=steps, restart_lr=restart_lr, patch=patch, batch=batch, loss=loss,
                            freeze_position_bias=freeze_position_bias, precision=precision, compile=compile_)
    trainer = open_run(run, cfg, changes=changes)
    console.print(f"run {run}: step {trainer.step}/{trainer.cfg.steps} on {trainer.device}, "
                  f"{trainer.model.num_params / 1e6:.2f} M parameters")
    trainer.fit(minutes=minutes)


@cli.command("export")
def export_command(run: Path, output: Path, fp32: bool = typer.Option(False, help="Keep float32.")) -> None:
    """Export a run's weights in the official checkpoint layout."""
    console.print(f"wrote {export_weights(run, output, half=not fp32)}")


if __name__ == "__main__":
    try:
        cli()
    except UserError as exc:
        console.print(f"error: {exc}")
        raise SystemExit(2) from None
