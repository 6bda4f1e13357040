"""The network of the digit model: a small U-Net eps_theta(x_t, t[, y]) that sees the step t
(sinusoidal features) and, in the conditional model, a label."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .config import DiffusionConfig


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of the step number, as positions in a transformer: (B,) -> (B, dim)."""
    half = dim // 2
    frequencies = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    angles = t.float()[:, None] * frequencies[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class ResBlock(nn.Module):
    """GroupNorm, SiLU, 3x3 conv, plus the step's embedding; again; a residual connection."""

    def __init__(self, in_channels: int, out_channels: int, embed_dim: int, dropout: float):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.embed = nn.Linear(embed_dim, out_channels)
        self.norm2 = nn.GroupNorm(8, out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.embed(embedding)[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return self.skip(x) + h


class UNet(nn.Module):
    """eps_theta(x_t, t[, y]): 28 x 28 -> 14 x 14 -> 7 x 7 and back, with skip connections."""

    def __init__(self, config: DiffusionConfig):
        super().__init__()
        c, e = config.channels, 4 * config.channels
        self.config = config
        self.time = nn.Sequential(nn.Linear(c, e), nn.SiLU(), nn.Linear(e, e))
        self.label = nn.Embedding(config.num_classes + 1, e) if config.num_classes else None
        self.stem = nn.Conv2d(1, c, 3, padding=1)
        block = lambda i, o: ResBlock(i, o, e, config.dropout)  # noqa: E731
        self.down = nn.ModuleList([block(c, c), block(c, 2 * c), block(2 * c, 2 * c)])
        self.downsample = nn.ModuleList([nn.Conv2d(c, c, 3, 2, 1), nn.Conv2d(2 * c, 2 * c, 3, 2, 1)])
        self.middle = nn.ModuleList([block(2 * c, 2 * c), block(2 * c, 2 * c)])
        self.up = nn.ModuleList([block(4 * c, 2 * c), block(4 * c, 2 * c), block(3 * c, c)])
        self.upsample = nn.ModuleList([nn.Conv2d(2 * c, 2 * c, 3, padding=1),
                                       nn.Conv2d(2 * c, 2 * c, 3, padding=1)])
        self.out = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, 1, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        embedding = self.time(timestep_embedding(t, self.config.channels))  # (B, 4C)
        if self.label is not None:
            if labels is None:
                labels = torch.full_like(t, self.config.num_classes)  # "no label"
            embedding = embedding + self.label(labels)
        h = self.stem(x)  # (B, C, 28, 28)
        skips = []
        for i, block in enumerate(self.down):  # 28 -> 14 -> 7
            h = block(h, embedding)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        for block in self.middle:
            h = block(h, embedding)  # (B, 2C, 7, 7)
        for i, block in enumerate(self.up):  # 7 -> 14 -> 28
            h = block(torch.cat([h, skips.pop()], dim=1), embedding)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.out(h)  # (B, 1, 28, 28): the predicted noise
