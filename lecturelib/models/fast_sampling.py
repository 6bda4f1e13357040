"""Fast generation for the PixelCNNs: cache every layer's activations (Ramachandran et al. 2017).

A plain pass per pixel recomputes all 784 positions of every layer, though only one input pixel
changed. A causal layer's output at (r, c) depends only on its input at and before (r, c), so
once computed it never changes: the samplers below keep every layer's output maps and compute,
for each new pixel, only that pixel's position in every layer, from a window of the layer below.

The helpers here compute one layer at one position (`conv_at`, `pointwise`, `head_at`) or along
one row (`conv_row`); how a block combines its layers is written once, in the block's own
methods (`ResidualBlock.combine`, `GatedLayer.vertical_output` and `horizontal_output`), which
its forward calls too. The lecture's loop, a full pass per pixel, is
`autoregressive.sample_pixel_by_pixel`; both give the same digits (tests/test_pixel_models.py).

P. Ramachandran et al. (2017). Fast Generation for Convolutional Autoregressive Models.
arXiv:1704.06001.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from .autoregressive import Samples
from .masked import MaskedConv2d


def conv_at(conv: MaskedConv2d, inputs: torch.Tensor, row: int, col: int,
            before: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """conv(before(inputs)) at the one position (row, col): (B, C_in, H, W) -> (B, C_out).
    Reads only rows up to `row`, so rows below may hold anything; `before` is an activation with
    before(0) = 0 (ReLU), applied to the window only."""
    kh, kw = conv.mask.shape
    window = _window(inputs, row, col, kh, kw)  # (B, C_in, kh, kw)
    if before is not None:
        window = before(window)
    return F.linear(window.flatten(1), (conv.weight * conv.mask).flatten(1), conv.bias)


def conv_row(conv: MaskedConv2d, inputs: torch.Tensor, row: int) -> torch.Tensor:
    """conv(inputs) along one whole row, for masks that keep nothing right of centre in rows at
    or below `row` that matter (the vertical stack): (B, C_in, H, W) -> (B, C_out, W)."""
    kh, kw = conv.mask.shape
    top = row - kh // 2
    rows = F.pad(inputs[:, :, max(top, 0):row + 1], (kw // 2, kw // 2, max(-top, 0), kh // 2))
    return F.conv2d(rows, conv.weight * conv.mask, conv.bias)[:, :, 0]  # (B, C_out, W)


def _window(inputs: torch.Tensor, row: int, col: int, kh: int, kw: int) -> torch.Tensor:
    """The (kh, kw) window of inputs centred on (row, col), zero outside the image and below `row`."""
    top, left = row - kh // 2, col - kw // 2
    width = inputs.shape[-1]
    part = inputs[:, :, max(top, 0):row + 1, max(left, 0):min(col + kw // 2 + 1, width)]
    return F.pad(part, (max(-left, 0), max(col + kw // 2 + 1 - width, 0), max(-top, 0), kh // 2))


def pointwise(layer: nn.Conv2d, features: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution at one position: (B, C_in) -> (B, C_out)."""
    return F.linear(features, layer.weight.flatten(1), layer.bias)


def heads_at(head: nn.Sequential, features: torch.Tensor) -> torch.Tensor:
    """An output head of 1x1 layers and activations at one position, layer by layer:
    (B, C) -> (B, C_out), e.g. the 256 logits of the grey-level PixelCNN."""
    for layer in head:
        features = pointwise(layer, features) if isinstance(layer, nn.Conv2d) else layer(features)
    return features


def head_at(head: nn.Sequential, features: torch.Tensor) -> torch.Tensor:
    """The output head (`output_head`: ReLU, 1x1, ReLU, 1x1) at one position: (B, C) -> (B,) logits."""
    return heads_at(head, features)[:, 0]


def draw_pixelcnn(model: nn.Module, x: torch.Tensor, uniform: torch.Tensor, start: int) -> Samples:
    """Cached generation for a `PixelCNN`: each new pixel computes its one position in every
    layer. Arguments as `sample_pixel_by_pixel`'s."""
    probs = torch.zeros_like(x)
    maps = model.feature_maps(x)  # right at every position before `start`; the rest is rewritten
    width = x.shape[-1]
    for i in range(start, x.shape[-2] * width):
        row, col = divmod(i, width)
        h = conv_at(model.first, x, row, col)  # (B, C)
        maps[0][:, :, row, col] = h
        for block, below, out in zip(model.blocks, maps[:-1], maps[1:]):
            inner = conv_at(block.conv, below, row, col, before=F.relu)  # (B, C)
            h = block.combine(h, inner, one_by_one=pointwise)
            out[:, :, row, col] = h
        p = torch.sigmoid(head_at(model.head, h))  # (B,)
        probs[:, 0, row, col] = p
        x[:, 0, row, col] = (uniform[:, i] < p).float()
    return Samples(x, probs)


def draw_gated_pixelcnn(model: nn.Module, x: torch.Tensor, uniform: torch.Tensor, start: int) -> Samples:
    """Cached generation for a `GatedPixelCNN`. The vertical stack at row r sees only rows above,
    so it is computed once per row, for the whole row; the horizontal stack then costs one
    position per layer for each pixel. Arguments as `sample_pixel_by_pixel`'s."""
    probs = torch.zeros_like(x)
    vs, hs, v_features = [x], [x], []  # each layer's outputs, and its vertical features
    for layer in model.layers:  # right at every position before `start`
        v_features.append(layer.vertical(vs[-1]))
        v, h = layer(vs[-1], hs[-1])
        vs.append(v)
        hs.append(h)
    width = x.shape[-1]
    for i in range(start, x.shape[-2] * width):
        row, col = divmod(i, width)
        if col == 0:  # a new row: the vertical stack, from the finished rows above
            for j, layer in enumerate(model.layers):
                v_features[j][:, :, row] = conv_row(layer.vertical, vs[j], row)
                vs[j + 1][:, :, row] = layer.vertical_output(v_features[j][:, :, row])
        for j, layer in enumerate(model.layers):
            h_features = conv_at(layer.horizontal, hs[j], row, col)  # (B, 2C)
            hs[j + 1][:, :, row, col] = layer.horizontal_output(
                h_features, v_features[j][:, :, row, col], hs[j][:, :, row, col], one_by_one=pointwise)  # (B, C)
        p = torch.sigmoid(head_at(model.head, hs[-1][:, :, row, col]))  # (B,)
        probs[:, 0, row, col] = p
        x[:, 0, row, col] = (uniform[:, i] < p).float()
    return Samples(x, probs)
