"""The coupling network of notebook 07's 2-D flows: one coordinate in, the scale and shift of the
other out. The assignment's flow is a stack of these (`exercises/flow_model.py`)."""

from __future__ import annotations

import torch
from torch import nn


class CouplingMLP(nn.Module):
    """kept (B, 1) -> (s, t), each (B, 1): the log-scale and the shift of the other coordinate,
    z = x * exp(s) + t. The scale is soft-clamped, s = c tanh(s_raw / c), so that no early step
    can blow the points up; the last layer starts at zero, so a new coupling is the identity."""

    def __init__(self, hidden: int = 64, clamp: float = 3.0):
        super().__init__()
        self.clamp = clamp
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, 2))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(kept, torch.Tensor) or kept.dim() != 2 or kept.shape[1] != 1:
            shape = tuple(kept.shape) if isinstance(kept, torch.Tensor) else type(kept).__name__
            raise ValueError(f"CouplingMLP takes the kept coordinate as a (B, 1) tensor, e.g. x[:, :1], got {shape}")
        s, t = self.net(kept).chunk(2, dim=1)
        return self.clamp * torch.tanh(s / self.clamp), t
