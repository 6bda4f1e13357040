"""PixelCNN and gated PixelCNN: an exact likelihood, one pixel at a time.

Taught in notebooks/03_pixelrnn_pixelcnn.ipynb. References:
- A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu (2016). Pixel Recurrent Neural Networks.
  arXiv:1601.06759. (Masked convolutions of type A and B, §3.4; the PixelCNN, §3.5.)
- A. van den Oord, N. Kalchbrenner, O. Vinyals, L. Espeholt, A. Graves, K. Kavukcuoglu (2016).
  Conditional Image Generation with PixelCNN Decoders. arXiv:1606.05328. (Gated PixelCNN: vertical
  and horizontal stacks without a blind spot, gated activations, §2.2.)

A fully visible belief network writes the probability of a binarized digit x, its 784 pixels in
raster order (row by row, left to right), with the chain rule, which holds for any distribution:

    log p(x) = sum_i log p(x_i | x_1, ..., x_{i-1}),
    p(x_i = 1 | x_<i) = sigmoid(logit_i(x_<i)).

Every factor is a Bernoulli whose logit a network computes from the pixels before i, so log p(x)
is exact: a sum of 784 terms, all computed in one pass, because masked convolutions let output i
see only inputs before i. Training is parallel over pixels; sampling is sequential (784 passes).
All likelihoods are in nats per digit; bits/dim = nats / (784 ln 2) (`lecturelib.metrics`).

This file holds the two models. What they are built from stands apart: the masks and
`MaskedConv2d` in `masked.py`; the base class every pixel model shares (likelihood, sampler,
output head) in `autoregressive.py`; the fast samplers in `fast_sampling.py`. Their names are
importable from here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from .autoregressive import (HEIGHT, WIDTH, AutoregressiveImageModel, Samples, dependency_map, output_head,
                             sample_pixel_by_pixel)
from .fast_sampling import conv_at, conv_row, draw_gated_pixelcnn, draw_pixelcnn, head_at, pointwise
from .masked import MaskedConv2d, causal_mask, horizontal_mask, vertical_mask

__all__ = [  # the two models, and (re-exported) what they are built from
    "PixelCNNConfig", "ResidualBlock", "PixelCNN", "GatedPixelCNNConfig", "gate", "GatedLayer", "gated_stack", "GatedPixelCNN",
    "conv1x1", "MaskedConv2d", "causal_mask", "vertical_mask", "horizontal_mask", "AutoregressiveImageModel",
    "Samples", "sample_pixel_by_pixel", "dependency_map", "output_head", "HEIGHT", "WIDTH", "conv_at", "conv_row",
    "pointwise", "head_at"]


def conv1x1(layer: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution of maps (B, C, H, W): the layer itself. The fast samplers pass
    `pointwise` instead, the same convolution at one position (B, C)."""
    return layer(x)


# ---------------------------------------------------------------------------------------------
# PixelCNN
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PixelCNNConfig:
    """The defaults are the shipped model, data/checkpoints/pixelcnn.pt."""

    channels: int = 64  # feature maps in every layer
    num_blocks: int = 12  # residual blocks, each with one 3x3 type-B conv; paper: 15 layers
    first_kernel: int = 7  # the type-A layer, as in the paper
    head_channels: int = 64  # the two 1x1 layers before the output logit


class ResidualBlock(nn.Module):
    """x + 1x1(ReLU(masked 3x3 B(ReLU(x)))): one step of depth, one more row of context."""

    def __init__(self, channels: int, mask_fn: Callable[..., torch.Tensor] = causal_mask):
        super().__init__()
        self.conv = MaskedConv2d.causal(channels, channels, 3, "B", mask_fn)
        self.project = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.combine(x, self.conv(F.relu(x)))

    def combine(self, x: torch.Tensor, inner: torch.Tensor,
                one_by_one: Callable[[nn.Conv2d, torch.Tensor], torch.Tensor] = conv1x1) -> torch.Tensor:
        """The block after its masked convolution, inner = conv(ReLU(x)): x + 1x1(ReLU(inner)).
        On maps (B, C, H, W), or at one position (B, C) with one_by_one=pointwise (the fast sampler)."""
        return x + one_by_one(self.project, F.relu(inner))


class PixelCNN(AutoregressiveImageModel):
    """Type-A 7x7 masked conv, residual blocks of type-B 3x3 masked convs, a 1x1 head.
    Output (r, c) sees a triangle-ish region above and to the left, with a blind spot to the
    upper right that grows with depth (van den Oord et al. 2016b, Fig. 1)."""

    def __init__(self, config: PixelCNNConfig = PixelCNNConfig(),
                 mask_fn: Callable[..., torch.Tensor] = causal_mask):
        """mask_fn(kernel_size, mask_type) makes every mask (notebook 03's exercise passes its own)."""
        super().__init__()
        self.config = config
        self.first = MaskedConv2d.causal(1, config.channels, config.first_kernel, "A", mask_fn)
        self.blocks = nn.Sequential(*[ResidualBlock(config.channels, mask_fn)
                                      for _ in range(config.num_blocks)])
        self.head = output_head(config.channels, config.head_channels)
        self.rows_above = config.first_kernel // 2 + config.num_blocks  # each 3x3 adds one row

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.feature_maps(x)[-1])  # (B, 1, H, W)

    def feature_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of the first layer and of every block: (B, C, H, W) each."""
        maps = [self.first(x)]
        for block in self.blocks:
            maps.append(block(maps[-1]))
        return maps

    def _draw_fast(self, x: torch.Tensor, uniform: torch.Tensor, start: int) -> Samples:
        """Cached generation (`fast_sampling.draw_pixelcnn`)."""
        return draw_pixelcnn(self, x, uniform, start)


# ---------------------------------------------------------------------------------------------
# Gated PixelCNN
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GatedPixelCNNConfig:
    """The defaults are the shipped model, data/checkpoints/gated_pixelcnn.pt."""

    channels: int = 32  # C per stack; each masked conv makes 2C (the two halves of the gate)
    num_layers: int = 14  # gated layers after the first: 15 in total, as in the paper
    first_kernel: int = 7  # k of the first layer's stacks
    kernel: int = 3  # k of later layers; paper: 5 (a 3 is cheaper on a CPU)
    head_channels: int = 64  # the two 1x1 layers before the output logit


def gate(features: torch.Tensor) -> torch.Tensor:
    """tanh(W_f * x) ⊙ sigmoid(W_g * x): the gated activation (van den Oord et al. 2016b, eq. 2),
    with the two convolutions stacked along channels: (B, 2C, H, W) -> (B, C, H, W)."""
    f, g = features.chunk(2, dim=1)
    return torch.tanh(f) * torch.sigmoid(g)


class GatedLayer(nn.Module):
    """One gated layer with a vertical stack (rows above, full width) and a horizontal stack
    (the current row, left of the pixel). The vertical stack feeds the horizontal one, never the
    other way round: that is what keeps the vertical stack free of the current row.

    In the first layer both stacks exclude the centre: v sees rows strictly above, h the pixels
    strictly left. Later layers include the centre, which by then depends only on earlier pixels."""

    def __init__(self, in_channels: int, channels: int, kernel: int, first: bool):
        super().__init__()
        self.first = first
        self.vertical = MaskedConv2d(in_channels, 2 * channels, vertical_mask(kernel, not first))
        self.horizontal = MaskedConv2d(in_channels, 2 * channels,
                                       horizontal_mask(kernel, not first))
        self.vertical_to_horizontal = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.horizontal_out = nn.Conv2d(channels, channels, 1)

    def forward(self, v: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v_features = self.vertical(v)  # (B, 2C, H, W): rows above only, by induction
        h_out = self.horizontal_output(self.horizontal(h), v_features, h)  # (B, C, H, W)
        return self.vertical_output(v_features), h_out

    def vertical_output(self, v_features: torch.Tensor) -> torch.Tensor:
        """The vertical stack's output from its masked convolution's features: the gate."""
        return gate(v_features)

    def horizontal_output(self, h_features: torch.Tensor, v_features: torch.Tensor, h: torch.Tensor,
                          one_by_one: Callable[[nn.Conv2d, torch.Tensor], torch.Tensor] = conv1x1
                          ) -> torch.Tensor:
        """The horizontal stack's output from its masked convolution's features h_features =
        horizontal(h), the vertical stack's v_features (through a 1x1, never the other way round)
        and its input h: 1x1(gate(h_features + 1x1(v_features))), plus h after the first layer.
        On maps (B, 2C, H, W), or at one position (B, 2C) with one_by_one=pointwise (the fast sampler)."""
        h_features = h_features + one_by_one(self.vertical_to_horizontal, v_features)
        h_out = one_by_one(self.horizontal_out, gate(h_features))  # (B, C, ...)
        return h_out if self.first else h + h_out  # residual on h only


def gated_stack(config) -> tuple[nn.ModuleList, int]:
    """The first gated layer and `config.num_layers` more (config: channels, num_layers,
    first_kernel, kernel), and how many rows above its own an output sees."""
    layers = nn.ModuleList(
        [GatedLayer(1, config.channels, config.first_kernel, first=True)]
        + [GatedLayer(config.channels, config.channels, config.kernel, first=False)
           for _ in range(config.num_layers)])
    return layers, config.first_kernel // 2 + config.num_layers * (config.kernel // 2)


class GatedPixelCNN(AutoregressiveImageModel):
    """Gated PixelCNN (van den Oord et al. 2016b): the blind spot is gone, because the vertical
    stack covers every row above at full width and the horizontal stack the row to the left."""

    def __init__(self, config: GatedPixelCNNConfig = GatedPixelCNNConfig()):
        super().__init__()
        self.config = config
        self.layers, self.rows_above = gated_stack(config)
        self.head = output_head(config.channels, config.head_channels)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        v, h = x, x
        for layer in self.layers:
            v, h = layer(v, h)  # (B, C, H, W) each
        return self.head(h)  # (B, 1, H, W)

    def _draw_fast(self, x: torch.Tensor, uniform: torch.Tensor, start: int) -> Samples:
        """Cached generation (`fast_sampling.draw_gated_pixelcnn`)."""
        return draw_gated_pixelcnn(self, x, uniform, start)
