"""The lecture's own PixelCNN: each grey pixel a 256-way softmax over its levels.

Taught in notebooks/07_normalizing_flows.ipynb (one bits/dim scale for grey digits). Reference:
A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu (2016). Pixel Recurrent Neural Networks.
arXiv:1601.06759, §3.4 (a discrete distribution: "each conditional is a multinomial modelled with a
softmax layer"); the layers are the binary PixelCNN's (`pixelcnn.py`).

    log P(x) = sum_i log softmax(logits_i(x_<i))[k_i],   k_i in 0..255 the level of pixel i,

exact, in nats per digit, for the 8-bit digits as loaded: no binarization, no dequantization.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .checks import LEVELS, check_count, grey_levels
from .fast_sampling import conv_at, heads_at, pointwise
from .masked import MaskedConv2d
from .pixelcnn import ResidualBlock


@dataclass(frozen=True)
class GreyPixelCNNConfig:
    """The defaults are the shipped model, data/checkpoints/grey_pixelcnn.pt."""

    channels: int = 64  # feature maps in every layer
    num_blocks: int = 10  # residual blocks of one masked 3x3 type-B conv each (pixelcnn.ResidualBlock)
    first_kernel: int = 7  # the type-A layer
    head_channels: int = 128  # the 1x1 layer before the 256 logits


class GreyPixelCNN(nn.Module):
    """The binary PixelCNN's layers (a type-A 7x7 masked conv, residual blocks of type-B 3x3 masked
    convs) with a head of 256 logits per pixel: p(k_i | x_<i) for the levels k_i. The network reads
    the grey levels scaled to [-1, 1]. (The gated layers of `GatedPixelCNN` were tried first: 64
    channels x 10 layers trained at 22 digits/s on 2 cores, these 64 x 10 blocks at about 60.)"""

    def __init__(self, config: GreyPixelCNNConfig = GreyPixelCNNConfig()):
        super().__init__()
        self.config = config
        self.first = MaskedConv2d.causal(1, config.channels, config.first_kernel, "A")
        self.blocks = nn.Sequential(*[ResidualBlock(config.channels) for _ in range(config.num_blocks)])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(config.channels, config.head_channels, 1), nn.ReLU(),
                                  nn.Conv2d(config.head_channels, LEVELS, 1))
        self.rows_above = config.first_kernel // 2 + config.num_blocks  # each 3x3 adds one row

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def feature_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of the first layer and of every block, (B, C, H, W) each, for digits in [0, 1]."""
        maps = [self.first(x * 2 - 1)]
        for block in self.blocks:
            maps.append(block(maps[-1]))
        return maps

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Digits (B, 1, H, W) in [0, 1] -> logits (B, 256, H, W); those at pixel i see only pixels
        before i in raster order."""
        return self.head(self.feature_maps(x)[-1])

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
               temperature: float = 1.0, rows: int = 28, cached: bool = True) -> torch.Tensor:
        """n digits (n, 1, 28, 28) in [0, 1], one pixel at a time in raster order:
        k_i ~ softmax(logits_i / T). With `generator`, the same seed gives the same digits;
        `rows` < 28 stops after that many rows (the rest stay 0). cached=False is the lecture's
        loop, a whole pass per pixel (784 passes); the default computes only the new pixel's
        position in every layer (`fast_sampling`), the same digits about 50x sooner."""
        n = check_count(n, "GreyPixelCNN.sample")
        if not isinstance(temperature, (int, float)) or not 0 < temperature <= 2:
            raise ValueError(f"GreyPixelCNN.sample: temperature must be a number in (0, 2], got {temperature!r}")
        if not isinstance(rows, int) or not 1 <= rows <= 28:
            raise ValueError(f"GreyPixelCNN.sample: rows must be an int in 1..28, got {rows!r}")
        x = torch.zeros(n, 1, 28, 28, device=self.device)
        uniform = torch.rand(n, 28 * 28, generator=generator).to(x)  # one number per pixel
        maps = self.feature_maps(x) if cached else None
        for i in range(rows * 28):
            row, col = divmod(i, 28)
            if cached:
                logits = self._logits_at(x, maps, row, col)  # (n, 256)
            else:
                logits = self.logits(x)[:, :, row, col]
            probs = torch.softmax(logits / temperature, dim=1)
            x[:, 0, row, col] = draw_level(probs, uniform[:, i:i + 1]).float() / (LEVELS - 1)
        return x

    def _logits_at(self, x: torch.Tensor, maps: list[torch.Tensor], row: int, col: int) -> torch.Tensor:
        """The 256 logits at (row, col) from every layer's cached maps, updating each layer's
        position (row, col); right when every earlier position is (Ramachandran et al. 2017)."""
        h = conv_at(self.first, x * 2 - 1, row, col)  # (n, C)
        maps[0][:, :, row, col] = h
        for block, below, out in zip(self.blocks, maps[:-1], maps[1:]):
            h = block.combine(h, conv_at(block.conv, below, row, col, before=F.relu), one_by_one=pointwise)
            out[:, :, row, col] = h
        return heads_at(self.head, h)


def draw_level(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The inverse CDF: for probabilities (n, 256) and u (n, 1) in [0, 1), the first level whose
    cumulative probability exceeds u, (n,) long; u uniform makes it a draw from probs."""
    return (probs.cumsum(1) <= u).sum(1).clamp(max=LEVELS - 1)
