"""The diffusion model's variational bound on log P(x) of 8-bit digits, in nats per digit.

Ho et al. (2020, arXiv:2006.11239, eq. 5 and §3.3) write -log p(x_0) <= L with

    L = L_T + sum_{t=2}^{T} L_{t-1} + L_0,
    L_T     = KL(q(x_T | x_0) || N(0, I))                      (no parameter: closed form),
    L_{t-1} = KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t))    = w_t ||eps - eps_theta(x_t, t)||^2,
    L_0     = -log p(x_0 | x_1), a Gaussian N(mu_theta(x_1, 1), beta_1) integrated over each
              level's bin of width 2/255 in [-1, 1] (the first and last bins open to -inf, +inf),

so L is a bound on the probability of the discrete digit, on the same scale as the PixelCNN's and
the flow's. The T - 1 middle terms are estimated by sampling t: (T - 1) w_t ||eps - eps_theta||^2
with t uniform on 2..T (stratified: the draws of one digit cover 2..T evenly), an unbiased
estimate whose spread over the draws is reported with it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from ..checks import LEVELS, check_count, grey_levels
from .schedule import Schedule, elbo_weights, q_sample


class Bound(NamedTuple):
    total: torch.Tensor  # (B,) the estimate of L, nats per digit: an upper bound on -log P(x)
    prior: torch.Tensor  # (B,) L_T
    middle: torch.Tensor  # (B,) the estimate of sum_{t=2}^T L_{t-1}
    decoder: torch.Tensor  # (B,) L_0
    middle_sd: torch.Tensor  # (B,) the standard error of `middle` over its draws of t


def prior_term(schedule: Schedule, x0: torch.Tensor) -> torch.Tensor:
    """L_T = KL(N(sqrt(abar_T) x_0, (1 - abar_T) I) || N(0, I)) per digit, summed over pixels."""
    abar = schedule.abar[-1].double()
    mean_sq = abar * x0.double().flatten(1) ** 2
    kl = 0.5 * (mean_sq + (1 - abar) - 1 - torch.log(1 - abar))
    return kl.sum(1).float()


def discretized_gaussian_log_prob(x0: torch.Tensor, mean: torch.Tensor, sd: float) -> torch.Tensor:
    """log of the mass N(mean, sd^2) puts on each pixel's bin [x0 - 1/255, x0 + 1/255] (x0 in
    [-1, 1] on the 256 levels; the outer bins reach to -inf and +inf), summed per digit."""
    half = 1.0 / (LEVELS - 1)
    normal = torch.distributions.Normal(mean.double(), sd)
    upper = torch.where(x0 > 1 - 1e-6, torch.ones_like(mean, dtype=torch.float64),
                        normal.cdf((x0 + half).double()))
    lower = torch.where(x0 < -1 + 1e-6, torch.zeros_like(mean, dtype=torch.float64),
                        normal.cdf((x0 - half).double()))
    return torch.log((upper - lower).clamp_min(1e-300)).flatten(1).sum(1).float()


EXACT_ENDS = (20, 12)  # the first and last middle terms (t = 2..21, T-11..T), where w_t is largest: computed, not sampled


def _term(model, x0: torch.Tensor, t: torch.Tensor, weights: torch.Tensor,
          generator: torch.Generator | None) -> torch.Tensor:
    """w_t ||eps - eps_theta(x_t, t)||^2 per digit, one draw of eps; t (B,) in 2..T."""
    noise = torch.randn(x0.shape, generator=generator).to(x0.device)
    error = (model.net(q_sample(model.schedule, x0, t, noise), t, None) - noise).pow(2).flatten(1).sum(1)
    return weights[t - 2] * error


@torch.no_grad()
def variational_bound(model, x: torch.Tensor, draws: int = 16,
                      generator: torch.Generator | None = None) -> Bound:
    """Ho et al.'s bound for 8-bit digits x (B, 1, 28, 28) in [0, 1] under an unconditional
    DiffusionModel. The middle terms where w_t is largest, t = 2..21 and the last 12, are computed
    one by one (one draw of eps each); the others, t = 22..T-12, are estimated from `draws`
    stratified draws of t per digit."""
    draws = check_count(draws, "variational_bound", "draws of t per digit", "draws")
    if draws < 2:
        raise ValueError("variational_bound needs draws >= 2 to report the spread of its estimate")
    if getattr(model.config, "num_classes", 0):
        raise ValueError("variational_bound scores the unconditional model: load_pretrained('diffusion')")
    k = grey_levels(x, "variational_bound")
    schedule = model.schedule
    device = model.device
    x0 = (k * 2 / (LEVELS - 1) - 1).to(device)  # the model's scale, [-1, 1]
    T, (first, last) = schedule.num_steps, EXACT_ENDS
    weights = elbo_weights(schedule).to(device)  # (T - 1,) for t = 2 .. T
    # L_0: x_1 from the forward process, the decoder's mean as DDPM's sampler computes it, sd sqrt(beta_1)
    noise = torch.randn(x0.shape, generator=generator).to(device)
    ones = torch.ones(len(x0), dtype=torch.long, device=device)
    x1 = q_sample(schedule, x0, ones, noise)
    eps = model.net(x1, ones, None)
    beta1, abar1 = schedule.betas[1], schedule.abar[1]
    mean = (x1 - beta1 / (1 - abar1).sqrt() * eps) / schedule.alphas[1].sqrt()
    decoder = -discretized_gaussian_log_prob(x0, mean, beta1.sqrt().item())
    exact = [*range(2, 2 + first), *range(T - last + 1, T + 1)]
    middle = sum(_term(model, x0, torch.full_like(ones, t), weights, generator).double() for t in exact)
    # t = low..high, sampled: `draws` strata of equal width, one t in each
    low, high = 2 + first, T - last
    offsets = torch.rand(len(x0), draws, generator=generator)
    sampled = []
    for j in range(draws):
        t = low + ((j + offsets[:, j]) / draws * (high - low + 1)).floor().long().clamp(max=high - low)
        sampled.append((high - low + 1) * _term(model, x0, t.to(device), weights, generator))
    sampled = torch.stack(sampled, 1).double()  # (B, draws)
    middle = middle + sampled.mean(1)
    middle_sd = sampled.std(1) / math.sqrt(draws)  # as if independent: stratified draws spread less
    prior = prior_term(schedule, x0)
    total = prior + middle.float() + decoder
    return Bound(total.cpu(), prior.cpu(), middle.float().cpu(), decoder.cpu(), middle_sd.float().cpu())
