"""Fused CPU kernels for SwinIR inference: the same results as the plain PyTorch expressions, fewer memory passes.

oneDNN (``torch.ops.mkldnn``) adds a bias, a GELU or a residual inside its linear and convolution
kernels. It is used for float32 CPU inference only; training, autocast, other dtypes, other devices and
``torch.compile`` (whose own passes fuse these patterns) take the plain expressions.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def fusable(x: torch.Tensor) -> bool:
    """Whether oneDNN's fused kernels apply: float32 CPU inference with a oneDNN build, neither autocast (whose
    precision they would bypass) nor being compiled."""
    return (x.device.type == "cpu" and x.dtype == torch.float32 and not torch.is_grad_enabled()
            and torch.backends.mkldnn.is_available() and not torch.is_autocast_enabled("cpu")
            and not torch.compiler.is_compiling())


def _rows(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(-1, x.shape[-1])


def linear(x: torch.Tensor, fc: nn.Linear) -> torch.Tensor:
    """``fc(x)``, with the bias added inside the matrix product (no separate pass to broadcast it)."""
    if fusable(x):
        return torch.ops.mkldnn._linear_pointwise(_rows(x), fc.weight, fc.bias, "none", [], "").view(
            *x.shape[:-1], -1)
    return fc(x)


def linear_gelu(x: torch.Tensor, fc: nn.Linear) -> torch.Tensor:
    """``gelu(fc(x))``; one kernel on CPU inference (same result, one memory pass less)."""
    if fusable(x):
        flat = torch.ops.mkldnn._linear_pointwise(_rows(x), fc.weight, fc.bias, "gelu", [], "none")
        return flat.view(*x.shape[:-1], -1)
    return F.gelu(fc(x))


def linear_add(x: torch.Tensor, fc: nn.Linear, residual: torch.Tensor) -> torch.Tensor:
    """``residual + fc(x)``; one kernel on CPU inference (same result, one memory pass less)."""
    if fusable(x) and residual.is_contiguous():
        flat = torch.ops.mkldnn._linear_pointwise.binary(_rows(x), _rows(residual), fc.weight, fc.bias, "add")
        return flat.view(residual.shape)
    return residual + fc(x)


def conv_add(conv: nn.Module, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
    """``conv(x) + residual`` for (B, C, H, W) images; one kernel for a plain convolution on CPU inference
    when both images are channels-last, as the network keeps them."""
    cl = torch.channels_last
    if (isinstance(conv, nn.Conv2d) and fusable(x) and x.is_contiguous(memory_format=cl)
            and residual.is_contiguous(memory_format=cl) and conv.groups == 1 and conv.padding_mode == "zeros"):
        return torch.ops.mkldnn._convolution_pointwise.binary(
            x, residual, conv.weight, conv.bias, list(conv.padding), list(conv.stride), list(conv.dilation),
            conv.groups, "add", None, None, [], None)
    return conv(x) + residual
