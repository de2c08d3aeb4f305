"""SwinIR for image denoising.

SwinIR (Liang et al., ICCV 2021 Workshops) restores an image in three stages:

1. shallow features: one 3x3 convolution;
2. deep features: residual Swin Transformer blocks (RSTB), each a stack of Swin Transformer
   layers (window self-attention with a learned relative position bias, every second layer on
   windows shifted by half a window) closed by a 3x3 convolution and a residual connection;
3. reconstruction: a convolution after the body, a long skip from the shallow features, and a
   last convolution whose output is *added to the input* (the network predicts the residual).

Parameter and buffer names follow the official implementation, so official denoising
checkpoints load with ``strict=True``, and checkpoints saved from here load in the official code.

Attention runs in one of two formulations, with the same weights and the same output:

* ``"fast"`` (default): a residual group keeps its tokens in the window order of its current
  layer (``tools.swinir.windows``: one gather per layer instead of a partition and a reverse), the
  images between groups are channels-last views of the tokens (no transposing copies), and
  attention is ``scaled_dot_product_attention`` with the relative position bias as an additive
  mask, cached while the weights do not change. The shift mask of a shifted layer only differs
  between three kinds of border windows (last window row, last window column, the corner):
  interior windows share the bias alone, and the border windows are recomputed with bias + their
  mask, so no (windows x heads x N x N) tensor is ever built. On CPU inference the bias adds, the
  GELU and the residual adds run inside oneDNN's linear and convolution kernels
  (``tools.swinir.fused``).
* ``"reference"``: the straightforward per-window formulation (explicit q @ k^T, + bias,
  + shift mask, softmax, @ v), kept as the test reference.

``forward`` takes an optional ``on_stage`` callback, called after every transformer layer: the
tiled inference uses it to report progress and to let a caller cancel a long pass.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from tools.swinir.fused import conv_add, linear, linear_add, linear_gelu
from tools.swinir.windows import cached_shift_mask, relative_position_index, reorder, window_partition, window_reverse

ATTENTION_MODES = ("fast", "reference")
RGB_MEAN = (0.4488, 0.4371, 0.4040)
StageCallback = Callable[[], None]
"""Called after every transformer layer of a forward pass (progress, cancellation)."""


class WindowAttention(nn.Module):
    """Multi-head self-attention inside each window, with a learned relative position bias."""

    def __init__(self, dim: int, window_size: int, num_heads: int) -> None:
        super().__init__()
        self.dim, self.window_size, self.num_heads = dim, window_size, num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size - 1) ** 2, num_heads))
        self.register_buffer("relative_position_index", relative_position_index(window_size))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self._bias_cache: tuple[tuple, torch.Tensor] | None = None

    def relative_position_bias(self) -> torch.Tensor:
        """(heads, N, N) bias; cached between calls while the table is unchanged and not training."""
        table = self.relative_position_bias_table
        key = (table._version, table.data_ptr(), table.dtype, table.device)
        if torch.is_grad_enabled() and table.requires_grad:
            return self._gather_bias()
        if self._bias_cache is None or self._bias_cache[0] != key:
            self._bias_cache = (key, self._gather_bias())
        return self._bias_cache[1]

    def _gather_bias(self) -> torch.Tensor:
        n = self.window_size**2
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        return bias.view(n, n, -1).permute(2, 0, 1).contiguous()

    def split_heads(self, qkv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``qkv(x)`` of (windows, N, 3C) -> q, k, v of shape (windows, heads, N, C / heads)."""
        b, n, _ = qkv.shape
        qkv = qkv.view(b, n, 3, self.num_heads, self.dim // self.num_heads).permute(2, 0, 3, 1, 4)
        if torch.is_grad_enabled():  # one copy to contiguous heads, and one gradient buffer for all three
            qkv = qkv.contiguous()
        q, k, v = qkv.unbind(0)
        return q, k, v

    def merge_heads(self, out: torch.Tensor) -> torch.Tensor:
        """(windows, heads, N, C / heads) -> (windows, N, C), before the output projection."""
        b, _, n, _ = out.shape
        return out.transpose(1, 2).reshape(b, n, self.dim)

    def forward_reference(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Straightforward formulation; ``mask`` is (windows per image, N, N) or None."""
        q, k, v = self.split_heads(self.qkv(x))
        attn = (q * self.scale) @ k.transpose(-2, -1) + self._gather_bias().unsqueeze(0)
        if mask is not None:
            nw, n = mask.shape[0], mask.shape[1]
            attn = attn.view(-1, nw, self.num_heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.num_heads, n, n)
        return self.proj(self.merge_heads(attn.softmax(dim=-1) @ v))


class Mlp(nn.Module):
    """Two linear layers with a GELU between them."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))

    def forward_add(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """``residual + forward(x)``, with the GELU and the add fused into the linear kernels when possible."""
        return linear_add(linear_gelu(x, self.fc1), self.fc2, residual)


class SwinTransformerBlock(nn.Module):
    """Pre-norm transformer layer on (shifted) windows: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, dim: int, num_heads: int, window_size: int, shift_size: int,
                 mlp_ratio: float, img_size: int) -> None:
        super().__init__()
        self.window_size, self.shift_size = window_size, shift_size
        self.attention = "fast"
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window_size, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        # Kept for state-dict compatibility with the official code (which precomputes the mask for
        # its training size); masks for the actual input size are computed here on demand.
        mask = cached_shift_mask(img_size, img_size, window_size, shift_size).clone() if shift_size else None
        self.register_buffer("attn_mask", mask)

    def attend_reference(self, x: torch.Tensor) -> torch.Tensor:
        """Official-style attention over (B, H, W, C): roll, partition, attend, reverse, roll back."""
        b, h, w, c = x.shape
        ws, shift = self.window_size, self.shift_size
        if shift:
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
        mask = cached_shift_mask(h, w, ws, shift).to(x.device) if shift else None
        y = window_reverse(self.attn.forward_reference(window_partition(x, ws), mask), ws, h, w)
        if shift:
            y = torch.roll(y, shifts=(shift, shift), dims=(1, 2))
        return y.reshape(b, h * w, c)

    def attend_windows(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        """The attention heads over tokens already in this layer's window order, before the output projection.

        The bias (and, for border windows, the shift mask) is a 4-D additive mask, which lets
        PyTorch use its fused CPU attention kernel.
        """
        b, _, c = x.shape
        (h, w), ws, shift, attn = x_size, self.window_size, self.shift_size, self.attn
        q, k, v = attn.split_heads(linear(x.view(-1, ws * ws, c), attn.qkv))
        bias = attn.relative_position_bias().to(q.dtype).unsqueeze(0)
        if torch.is_grad_enabled():
            # Training: one full (windows, heads, N, N) mask; small at training patch sizes.
            mask = bias + cached_shift_mask(h, w, ws, shift).to(x.device, q.dtype).unsqueeze(1) if shift else bias
            if bias.requires_grad:  # PyTorch's fused kernel has no gradient for the mask: plain operations
                scores = torch.matmul(q * attn.scale, k.transpose(-2, -1))
                scores.unflatten(0, (b, -1)).add_(mask)  # in place: one window-sized tensor less per layer
                out = torch.matmul(scores.softmax(dim=-1), v)
            else:
                out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask.repeat(b, 1, 1, 1) if shift else mask)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        if shift and not torch.is_grad_enabled():
            # Inference: only the last window row and column mix unrelated regions; recompute them masked.
            grid = (b, h // ws, w // ws)
            q, k, v, out = (t.unflatten(0, grid) for t in (q, k, v, out))
            m = cached_shift_mask(2 * ws, 2 * ws, ws, shift).to(x.device, q.dtype)
            last = slice(-1, None)
            # Windows of a 2 x 2 window image: interior, last column, last row, corner.
            for rows, cols, kind in ((slice(None), last, 1), (last, slice(None), 2), (last, last, 3)):
                region = (slice(None), rows, cols)
                sub = [t[region].flatten(0, 2) for t in (q, k, v)]
                masked = F.scaled_dot_product_attention(*sub, attn_mask=bias + m[kind])
                out[region] = masked.unflatten(0, out[region].shape[:3])
            out = out.flatten(0, 2)
        return attn.merge_heads(out).view(b, -1, c)

    def forward_windows(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        """The layer on (B, H*W, C) tokens in its own window order (see ``tools.swinir.windows``), in that order."""
        x = linear_add(self.attend_windows(self.norm1(x), x_size), self.attn.proj, x)
        return self.mlp.forward_add(self.norm2(x), x)

    def forward(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        """The layer on (B, H*W, C) tokens in image order."""
        h, w = x_size
        b, _, c = x.shape
        if self.attention == "reference":
            x = x + self.attend_reference(self.norm1(x).view(b, h, w, c))
            return x + self.mlp(self.norm2(x))
        ws, shift = self.window_size, self.shift_size
        y = self.forward_windows(reorder(x, h, w, ws, None, shift), x_size)
        return reorder(y, h, w, ws, shift, None)


class BasicLayer(nn.Module):
    """A stack of Swin Transformer layers, alternating plain and shifted windows."""

    def __init__(self, dim: int, depth: int, num_heads: int, window_size: int, mlp_ratio: float,
                 img_size: int) -> None:
        super().__init__()
        shift = 0 if img_size <= window_size else window_size // 2
        ws = min(window_size, img_size)
        self.blocks = nn.ModuleList(
            SwinTransformerBlock(dim, num_heads, ws, 0 if i % 2 == 0 else shift, mlp_ratio, img_size)
            for i in range(depth))

    def forward(self, x: torch.Tensor, x_size: tuple[int, int], on_stage: StageCallback | None = None) -> torch.Tensor:
        h, w = x_size
        order: int | None = None  # image order; else the shift whose window order the tokens are in
        for block in self.blocks:
            if block.attention == "reference":
                x = reorder(x, h, w, block.window_size, order, None)
                x, order = block(x, x_size), None
            else:
                x = reorder(x, h, w, block.window_size, order, block.shift_size)
                x, order = block.forward_windows(x, x_size), block.shift_size
            if on_stage is not None:
                on_stage()
        return reorder(x, h, w, self.blocks[-1].window_size, order, None)


def make_body_conv(dim: int, resi_connection: str) -> nn.Module:
    """The convolution that closes an RSTB (and follows the body): '1conv' or the lighter '3conv'."""
    if resi_connection == "1conv":
        return nn.Conv2d(dim, dim, 3, 1, 1)
    if resi_connection == "3conv":
        return nn.Sequential(
            nn.Conv2d(dim, dim // 4, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(dim // 4, dim // 4, 1, 1, 0), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(dim // 4, dim, 3, 1, 1))
    raise ValueError(f"unknown resi_connection {resi_connection!r}")


def tokens_to_image(x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
    """(B, H*W, C) tokens -> (B, C, H, W) image in channels-last memory: a view, no copy.

    Convolutions take and give channels-last tensors, so the token layout never needs a transposing copy
    (which, across a megapixel of 48 or more channels, costs as much as the attention itself).
    """
    b, _, c = x.shape
    return x.view(b, *x_size, c).permute(0, 3, 1, 2)


def image_to_tokens(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, H*W, C); a view when ``x`` is channels-last (as every convolution here returns)."""
    b, c = x.shape[:2]
    return x.permute(0, 2, 3, 1).reshape(b, -1, c)


class RSTB(nn.Module):
    """Residual Swin Transformer Block: transformer layers, a convolution, and a skip connection."""

    def __init__(self, dim: int, depth: int, num_heads: int, window_size: int, mlp_ratio: float,
                 img_size: int, resi_connection: str) -> None:
        super().__init__()
        self.residual_group = BasicLayer(dim, depth, num_heads, window_size, mlp_ratio, img_size)
        self.conv = make_body_conv(dim, resi_connection)

    def forward(self, x: torch.Tensor, x_size: tuple[int, int], on_stage: StageCallback | None = None) -> torch.Tensor:
        y = tokens_to_image(self.residual_group(x, x_size, on_stage), x_size)
        return image_to_tokens(conv_add(self.conv, y, tokens_to_image(x, x_size)))


class PatchEmbed(nn.Module):
    """Image to tokens (1x1 patches) followed by LayerNorm."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(image_to_tokens(x))


class SwinIR(nn.Module):
    """SwinIR configured for denoising (upscale 1, no upsampler, img_range 1).

    ``unshuffle`` > 1 runs the body at 1 / unshuffle resolution: the image is pixel-unshuffled into
    ``unshuffle**2`` times the channels before the first convolution and shuffled back after the last (as
    FFDNet does), so a window of 8 tokens covers 8 * unshuffle pixels and every layer costs
    ``unshuffle**2`` times less per pixel.

    ``forward`` takes N x C x H x W float32 in [0, 1] of any size (reflect-padded inside to a
    multiple of the window) and returns the restored image of the same shape.
    """

    def __init__(self, in_chans: int = 3, embed_dim: int = 180, depths: tuple[int, ...] = (6,) * 6,
                 num_heads: tuple[int, ...] = (6,) * 6, window_size: int = 8, mlp_ratio: float = 2.0,
                 img_size: int = 128, resi_connection: str = "1conv", init_weights: bool = True,
                 unshuffle: int = 1) -> None:
        super().__init__()
        self.config = dict(in_chans=in_chans, embed_dim=embed_dim, depths=tuple(depths),
                           num_heads=tuple(num_heads), window_size=window_size, mlp_ratio=mlp_ratio,
                           img_size=img_size, resi_connection=resi_connection)
        self.unshuffle = unshuffle
        if unshuffle > 1:  # saved with the weights, so a loader knows the body runs at 1 / unshuffle resolution
            self.config["unshuffle"] = unshuffle
            self.register_buffer("unshuffle_factor", torch.tensor(unshuffle))
        self.window_size = window_size * unshuffle  # the alignment, in input pixels, a photo is padded to
        mean = RGB_MEAN if in_chans == 3 else (0.0,) * in_chans
        self.register_buffer("mean", torch.tensor(mean).view(1, in_chans, 1, 1), persistent=False)
        packed = in_chans * unshuffle**2  # channels of the pixel-unshuffled image the body sees
        self.conv_first = nn.Conv2d(packed, embed_dim, 3, 1, 1)
        self.patch_embed = PatchEmbed(embed_dim)
        self.layers = nn.ModuleList(
            RSTB(embed_dim, d, h, window_size, mlp_ratio, img_size, resi_connection)
            for d, h in zip(depths, num_heads))
        self.norm = nn.LayerNorm(embed_dim)
        self.conv_after_body = make_body_conv(embed_dim, resi_connection)
        self.conv_last = nn.Conv2d(embed_dim, packed, 3, 1, 1)
        if init_weights:  # skipped when a checkpoint's tensors replace them anyway
            self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def set_attention(self, mode: str) -> "SwinIR":
        """Switch every layer to the ``"fast"`` or ``"reference"`` attention formulation."""
        if mode not in ATTENTION_MODES:
            raise ValueError(f"attention mode must be one of {ATTENTION_MODES}, not {mode!r}")
        for m in self.modules():
            if isinstance(m, SwinTransformerBlock):
                m.attention = mode
        return self

    @property
    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward_features(self, x: torch.Tensor, on_stage: StageCallback | None = None) -> torch.Tensor:
        x_size = (x.shape[2], x.shape[3])
        tokens = self.patch_embed(x)
        for layer in self.layers:
            tokens = layer(tokens, x_size, on_stage)
        return tokens_to_image(self.norm(tokens), x_size)

    def forward(self, x: torch.Tensor, on_stage: StageCallback | None = None) -> torch.Tensor:
        """Denoise (N, C, H, W); ``on_stage()`` is called after every transformer layer (it may raise to stop)."""
        h, w = x.shape[2:]
        ws = self.window_size
        x = F.pad(x, (0, (ws - w % ws) % ws, 0, (ws - h % ws) % ws), mode="reflect")
        mean = self.mean.to(x.dtype)
        x = (x - mean).contiguous(memory_format=torch.channels_last)  # every image inside stays channels-last
        s = self.unshuffle
        first = self.conv_first(F.pixel_unshuffle(x, s).contiguous(memory_format=torch.channels_last) if s > 1 else x)
        residual = conv_add(self.conv_after_body, self.forward_features(first, on_stage), first)
        if s > 1:
            return (F.pixel_shuffle(self.conv_last(residual), s) + (x + mean))[:, :, :h, :w]
        return conv_add(self.conv_last, residual, x + mean)[:, :, :h, :w]
