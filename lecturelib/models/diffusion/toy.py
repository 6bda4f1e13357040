"""The 2-D toys of notebook 06: `ToyNet`, a small network of a point and a time, and
`train_toy`, which trains one on a toy's points."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ...config import isolated_seed
from .unet import timestep_embedding


class ToyNet(nn.Module):
    """An MLP for 2-D points that also sees the time's sinusoidal features: a noise predictor
    (t = 1..T) or a velocity (t in [0, 1], with time_scale = 1000 so the features vary)."""

    def __init__(self, hidden: int = 128, time_scale: float = 1.0):
        super().__init__()
        self.time_scale = time_scale
        self.net = nn.Sequential(nn.Linear(2 + 16, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, timestep_embedding(t * self.time_scale, 16)], 1))


def train_toy(loss: Callable[[nn.Module, torch.Tensor], torch.Tensor], build: Callable[[], nn.Module],
              sample: Callable[[int, torch.Generator], torch.Tensor], steps: int = 800,
              seed: int = 0, batch_size: int = 256, lr: float = 3e-3) -> nn.Module:
    """A fresh net = build(), trained by Adam on loss(net, x) for `steps` fresh batches
    x = sample(batch_size, generator) of a 2-D toy; seeded (the initial weights, the batches, and
    the loss's own noise through torch's global generator, whose state is given back after). Returns
    the net, in eval mode; trains even where gradients were switched off."""
    with isolated_seed(seed) as generator, torch.enable_grad():
        net = build()
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        for _ in range(steps):
            value = loss(net, sample(batch_size, generator))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
    return net.eval()
