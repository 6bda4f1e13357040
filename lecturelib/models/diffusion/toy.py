"""The 2-D toys of notebook 06: `ToyNet`, a small network of a point and a time (trained by
`lecturelib.train.train_toy`, on the loop core every trainer shares)."""

from __future__ import annotations

import torch
from torch import nn

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
