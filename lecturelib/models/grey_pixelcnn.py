"""The lecture's own PixelCNN: each grey pixel a 256-way softmax over its levels.

Taught in notebooks/07_normalizing_flows.ipynb (one bits/dim scale for grey digits). Reference:
A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu (2016). Pixel Recurrent Neural Networks.
arXiv:1601.06759, §3.4 (a discrete distribution: "each conditional is a multinomial modelled with a
softmax layer"); the layers are the gated PixelCNN's (arXiv:1606.05328, `pixelcnn.py`).

    log P(x) = sum_i log softmax(logits_i(x_<i))[k_i],   k_i in 0..255 the level of pixel i,

exact, in nats per digit, for the 8-bit digits as loaded: no binarization, no dequantization.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .checks import LEVELS, check_count, grey_levels
from .pixelcnn import gated_stack


@dataclass(frozen=True)
class GreyPixelCNNConfig:
    """The defaults are the shipped model, data/checkpoints/grey_pixelcnn.pt."""

    channels: int = 64  # C per stack
    num_layers: int = 10  # gated layers after the first
    first_kernel: int = 7
    kernel: int = 3
    head_channels: int = 128  # the 1x1 layer before the 256 logits


class GreyPixelCNN(nn.Module):
    """A gated PixelCNN whose head gives 256 logits per pixel: p(k_i | x_<i) for the levels k_i.
    The network reads the grey levels scaled to [-1, 1]."""

    def __init__(self, config: GreyPixelCNNConfig = GreyPixelCNNConfig()):
        super().__init__()
        self.config = config
        self.layers, self.rows_above = gated_stack(config)
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(config.channels, config.head_channels, 1), nn.ReLU(),
                                  nn.Conv2d(config.head_channels, LEVELS, 1))

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Digits (B, 1, H, W) in [0, 1] -> logits (B, 256, H, W); those at pixel i see only pixels
        before i in raster order."""
        v = h = x * 2 - 1
        for layer in self.layers:
            v, h = layer(v, h)
        return self.head(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(x)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log P(x) of 8-bit digits (B, 1, 28, 28) in [0, 1], nats per digit: (B,)."""
        k = grey_levels(x, "GreyPixelCNN.log_prob").long()
        return -F.cross_entropy(self.logits(x), k[:, 0], reduction="none").flatten(1).sum(1)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood, nats per digit: the training objective."""
        return -self.log_prob(x).mean()

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None,
               temperature: float = 1.0, rows: int = 28) -> torch.Tensor:
        """n digits (n, 1, 28, 28) in [0, 1], one pixel at a time in raster order (784 passes):
        k_i ~ softmax(logits_i / T). With `generator`, the same seed gives the same digits;
        `rows` < 28 stops after that many rows (the rest stay 0)."""
        n = check_count(n, "GreyPixelCNN.sample")
        if not isinstance(temperature, (int, float)) or not 0 < temperature <= 2:
            raise ValueError(f"GreyPixelCNN.sample: temperature must be a number in (0, 2], got {temperature!r}")
        x = torch.zeros(n, 1, 28, 28, device=self.device)
        uniform = torch.rand(n, 28 * 28, generator=generator).to(x)  # one number per pixel
        for i in range(rows * 28):
            row, col = divmod(i, 28)
            probs = torch.softmax(self.logits(x)[:, :, row, col] / temperature, dim=1)  # (n, 256)
            x[:, 0, row, col] = draw_level(probs, uniform[:, i:i + 1]).float() / (LEVELS - 1)
        return x


def draw_level(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The inverse CDF: for probabilities (n, 256) and u (n, 1) in [0, 1), the first level whose
    cumulative probability exceeds u, (n,) long; u uniform makes it a draw from probs."""
    return (probs.cumsum(1) <= u).sum(1).clamp(max=LEVELS - 1)
