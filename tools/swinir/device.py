"""Which device the network runs on, how much of its memory a run may take, and which precisions it takes.

A request is ``auto``, ``cpu``, ``cuda`` or ``mps``. ``auto`` takes CUDA where torch sees a CUDA device, else
Apple's MPS, else the CPU; a GPU asked for by name that is not there is a one-line error
(:class:`DeviceUnavailable`), never a fallback. Checking a request imports torch only when a GPU is named.

Memory: a run's working set (``tools.swinir.tiling``) is budgeted from the device it runs on. On the CPU that is
the configured budget (``DEFAULT_MAX_MEMORY`` unless asked otherwise); on CUDA, :data:`GPU_HEADROOM` of the
memory free on the device (torch's cached, unused blocks counted as free) after the model is loaded; on MPS, of
the recommended working set less what the process holds, where torch says so. A budget asked for is capped
at what the GPU has free. A process that shares a GPU with others (batch workers) takes its share of it
(:func:`share_device`).

Precision: float32 on every device unless asked. bfloat16 and float16 autocast are offered on GPUs, but no
measurement here shows them within 0.01 dB PSNR of float32 (the project's CPU-only machines cannot measure
it), so they are never chosen silently. float16 runs on GPUs only. float32 on CUDA keeps torch's defaults:
matrix products in full float32, cuDNN convolutions (a handful of SwinIR's layers) in TF32 on GPUs that have it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tools.errors import SettingError, UserError
from tools.swinir.tiling import DEFAULT_MAX_MEMORY

DEVICES = ("auto", "cpu", "cuda", "mps")
GPUS = ("cuda", "mps")
GPU_HEADROOM = 0.8  # of a GPU's free memory a run's working set may take (the rest: fragmentation, workspaces)
_SHARE = {"gpu": 1.0}  # this process's share of its GPU (share_device)


class DeviceUnavailable(SettingError):
    """A device asked for by name that this machine (or cluster) does not have."""

    def __init__(self, device: str, reason: str) -> None:
        self.reason = reason
        super().__init__("device", device, reason)

    def describe(self, name: str) -> str:
        return f"{name} {self.value}: {self.reason}"


def _torch_build() -> str:
    """torch's version and what it was built for, e.g. ``torch 2.4.0+cpu, CPU build``."""
    import torch

    cuda = torch.version.cuda
    return f"torch {torch.__version__}, {f'CUDA {cuda}' if cuda else 'CPU'} build"


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def known_device(request: str) -> str:
    """``request`` if it names a device (a one-line error otherwise); nothing is imported."""
    if request not in DEVICES:
        raise SettingError("device", request, f"one of {', '.join(DEVICES)}")
    return request


def resolve_device(request: str = "auto") -> str:
    """The device a request names on this machine: ``cpu``, ``cuda`` or ``mps``; a one-line error for a GPU named
    and absent."""
    request = known_device(request)
    if request == "cpu":
        return "cpu"
    if request in ("auto", "cuda") and cuda_available():
        return "cuda"
    if request in ("auto", "mps") and mps_available():
        return "mps"
    if request == "auto":
        return "cpu"
    kind = "CUDA" if request == "cuda" else "Apple MPS"
    raise DeviceUnavailable(request, f"no {kind} device is available here ({_torch_build()})")


def check_device(request: str) -> str:
    """``request`` checked before any work: a known name, and a GPU named present (torch is imported only then)."""
    return resolve_device(request) if known_device(request) in GPUS else request


def check_precision(device: str, precision: str) -> None:
    """A one-line error for a precision the resolved ``device`` cannot run."""
    if precision == "fp16" and device == "cpu":
        raise SettingError("precision", precision, "fp32 or bf16 on the CPU (fp16 runs on a GPU only)")
    if precision == "bf16" and device == "cuda":
        import torch

        if not torch.cuda.is_bf16_supported():
            raise SettingError("precision", precision, "fp32 or fp16 on this GPU (it has no bfloat16)")


def check_run(request: str, precision: str = "fp32") -> None:
    """A run's device and precision checked before any work; torch is imported only for a GPU named or a
    precision other than float32."""
    check_device(request)
    if precision != "fp32":
        check_precision(resolve_device(request), precision)


def share_device(share: float) -> None:
    """Set, once per process (a batch worker's entry point), the share of its GPU this process may use."""
    if not 0 < share <= 1:
        raise ValueError(f"a device share is in (0, 1], got {share}")
    _SHARE["gpu"] = float(share)


def device_share() -> float:
    return _SHARE["gpu"]


def gpu_memory(device: str) -> float | None:
    """Bytes of ``device``'s memory a run's working set may take now (this process's share, less headroom);
    None on the CPU, or where torch does not say."""
    import torch

    if device == "cuda":
        free, total = torch.cuda.mem_get_info()
        cached = torch.cuda.memory_reserved() - torch.cuda.memory_allocated()
        return GPU_HEADROOM * min(free + cached, total * device_share())
    if device == "mps":
        recommended = getattr(torch.mps, "recommended_max_memory", None)
        if recommended is None:
            return None
        held = torch.mps.driver_allocated_memory()
        return GPU_HEADROOM * max(0.0, min(recommended() - held, recommended() * device_share()))
    return None


def memory_budget(device: str, max_memory: float | None = None) -> float:
    """The working-set budget of a run on ``device`` in bytes: ``max_memory`` where asked (on a GPU at most what it
    has free), else what the GPU has free, else the CPU default."""
    available = gpu_memory(device)
    if available is None:
        return DEFAULT_MAX_MEMORY if max_memory is None else max_memory
    return available if max_memory is None else min(max_memory, available)


def autocast(device: str, precision: str):
    """The autocast context of ``precision`` on ``device`` (a no-op for float32)."""
    from contextlib import nullcontext

    import torch

    if precision == "fp32":
        return nullcontext()
    return torch.autocast(device, dtype=torch.float16 if precision == "fp16" else torch.bfloat16)


@contextmanager
def out_of_memory_said(device: str, budget: float) -> Iterator[None]:
    """Within this block, a GPU running out of memory is a one-line error that says what to change."""
    import torch

    out_of_memory = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)  # torch.OutOfMemoryError: 2.5+
    try:
        yield
    except out_of_memory:
        if device == "cuda":
            torch.cuda.empty_cache()
        raise UserError(f"the {device} device ran out of memory with a {budget / 1e9:.2f} GB working-memory "
                        "budget: set a smaller budget or tile size, or run on the CPU") from None
