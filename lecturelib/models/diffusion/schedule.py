"""The noise schedule and the forward process q(x_t | x_0), and what follows from them: the
posterior variance, the ELBO's weights, the denoising loss, and x_0 from a predicted noise.

References: J. Ho, A. Jain, P. Abbeel (2020), arXiv:2006.11239 (the closed form, eq. 4; the
posterior, eq. 7; the ELBO's terms, eq. 12; the simple loss, eq. 14). A. Nichol, P. Dhariwal
(2021), arXiv:2102.09672 (the cosine schedule).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F


# ---------------------------------------------------------------------------------------------
# The noise schedule and the forward process
# ---------------------------------------------------------------------------------------------

def cosine_schedule(num_steps: int, offset: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """beta_1 .. beta_T of Nichol & Dhariwal's cosine schedule: abar_t follows a squared cosine
    from 1 to 0, so the digit fades evenly instead of being gone halfway. Returns (T,)."""
    steps = torch.arange(num_steps + 1, dtype=torch.float64) / num_steps
    abar = torch.cos((steps + offset) / (1 + offset) * math.pi / 2) ** 2
    betas = 1 - abar[1:] / abar[:-1]
    return betas.clamp(max=max_beta).float()


class Schedule(nn.Module):
    """beta_t, alpha_t = 1 - beta_t and abar_t for t = 0 .. T (index 0: no noise at all)."""

    def __init__(self, betas: torch.Tensor):
        super().__init__()
        betas = torch.cat([torch.zeros(1), betas]).double()  # (T + 1,), beta_0 = 0
        self.register_buffer("betas", betas.float(), persistent=False)
        self.register_buffer("alphas", (1 - betas).float(), persistent=False)
        self.register_buffer("abar", torch.cumprod(1 - betas, 0).float(), persistent=False)

    @property
    def num_steps(self) -> int:
        return len(self.betas) - 1


def q_sample(schedule: Schedule, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """x_t given x_0 in closed form: sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps. t: (B,) in 1..T."""
    abar = schedule.abar[t].view(-1, *([1] * (x0.dim() - 1)))
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def forward_chain(schedule: Schedule, x0: torch.Tensor, noises: Sequence[torch.Tensor]) -> torch.Tensor:
    """The forward process step by step: x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps_t for
    t = 1 .. len(noises). What `q_sample` computes in one line (in distribution)."""
    x = x0
    for t, noise in enumerate(noises, start=1):
        x = (1 - schedule.betas[t]).sqrt() * x + schedule.betas[t].sqrt() * noise
    return x


def posterior_variance(schedule: Schedule) -> torch.Tensor:
    """beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t), the variance of the posterior
    q(x_{t-1} | x_t, x_0) (Ho et al. 2020, eq. 7). (T + 1,), indexed by t; 0 at t = 1, where x_0 is
    known. `ddpm_step` samples with sigma_t^2 = beta~_t."""
    s = schedule
    shifted = torch.cat([torch.ones(1), s.abar[:-1]])  # abar_{t-1}, with abar_{-1} := 1 at t = 0
    return s.betas * (1 - shifted) / (1 - s.abar).clamp_min(1e-20)


def elbo_weights(schedule: Schedule, variance: torch.Tensor | None = None) -> torch.Tensor:
    """The weight w_t of step t's noise-prediction error in the ELBO. With a decoder
    p(x_{t-1} | x_t) = N(mu_theta, sigma_t^2 I), the ELBO's term
    L_{t-1} = KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) = w_t ||eps - eps_theta||^2 + C_t, with
    w_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - abar_t)) (Ho et al. 2020, eq. 12) and C_t a constant
    free of theta (0 when sigma_t^2 = beta~_t). `variance`: sigma_t^2 indexed by t = 0..T; by default
    `posterior_variance`, the one `ddpm_step` samples with. The simple loss sets every w_t to 1.
    Returns (T - 1,) for t = 2 .. T: the t = 1 term is L_0 = -log p(x_0 | x_1), a decoder, no KL."""
    s = schedule
    variance = posterior_variance(s) if variance is None else variance
    return s.betas[2:] ** 2 / (2 * variance[2:] * s.alphas[2:] * (1 - s.abar[2:]))


# ---------------------------------------------------------------------------------------------
# Training, and x_0 from a predicted noise, for any noise predictor eps(x_t, t)
# ---------------------------------------------------------------------------------------------

def denoising_loss(predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], schedule: Schedule,
                   x0: torch.Tensor) -> torch.Tensor:
    """The simple loss (Ho et al. 2020, eq. 14): noise each x_0 to a random step t in one line,
    ask the network for the noise, and score it by squared error (averaged):
    || eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t) ||^2."""
    t = torch.randint(1, schedule.num_steps + 1, (len(x0),), device=x0.device)
    noise = torch.randn_like(x0)
    return F.mse_loss(predict(q_sample(schedule, x0, t, noise), t), noise)


def estimate_x0(schedule: Schedule, x: torch.Tensor, t: int, eps: torch.Tensor,
                clip: float | None = None) -> torch.Tensor:
    """x_0 from x_t and the predicted noise, the closed form solved for x_0:
    (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t); with `clip`, kept in [-clip, clip]."""
    x0 = (x - (1 - schedule.abar[t]).sqrt() * eps) / schedule.abar[t].sqrt()
    return x0 if clip is None else x0.clamp(-clip, clip)
