"""Flow matching: the same regression as the denoising loss, along straight paths from noise to
data, and the Euler sampler that follows the learned velocity.

References: Y. Lipman, R. Chen, H. Ben-Hamu, M. Nickel, M. Le (2023). Flow Matching for
Generative Modeling. arXiv:2210.02747. X. Liu, C. Gong, Q. Liu (2023). Flow Straight and Fast.
arXiv:2209.03003.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch.nn import functional as F


def flow_matching_loss(velocity: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                       x1: torch.Tensor) -> torch.Tensor:
    """Lipman et al.'s conditional flow matching with straight paths (Liu et al.'s rectified
    flow): noise x_0 ~ N(0, I) and data x_1 joined by x_t = (1 - t) x_0 + t x_1, t ~ U(0, 1);
    the network learns that path's velocity x_1 - x_0 (squared error, averaged)."""
    x0 = torch.randn_like(x1)
    t = torch.rand(len(x1), device=x1.device)
    along = t.view(-1, *([1] * (x1.dim() - 1)))
    return F.mse_loss(velocity((1 - along) * x0 + along * x1, t), x1 - x0)


def euler_path(velocity: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor,
               steps: int) -> list[torch.Tensor]:
    """dx/dt = v(x, t) from t = 0 (the noise x) to t = 1 in `steps` equal Euler steps: every x
    along the way."""
    path = [x]
    for i in range(steps):
        t = torch.full((len(x),), i / steps, device=x.device)
        path.append(path[-1] + velocity(path[-1], t) / steps)
    return path
