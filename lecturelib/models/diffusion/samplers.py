"""The samplers, for any noise predictor eps(x_t, t): one step of DDPM's ancestral sampler, DDIM's
deterministic step and path, and DPM-Solver++(2M) on steps spaced evenly in log SNR.

References: J. Ho, A. Jain, P. Abbeel (2020), arXiv:2006.11239 (Algorithm 2). J. Song, C. Meng,
S. Ermon (2021), arXiv:2010.02502 (DDIM). T. Karras et al. (2022), arXiv:2206.00364 (DDIM as
Euler steps in x_t / sqrt(abar_t)). C. Lu et al. (2022), arXiv:2211.01095 (DPM-Solver++).
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from .schedule import Schedule, estimate_x0, posterior_variance


def ddpm_step(schedule: Schedule, x: torch.Tensor, t: int, eps: torch.Tensor,
              noise: torch.Tensor | None, clip: float | None = None) -> torch.Tensor:
    """One step of ancestral sampling (Ho et al. 2020, Algorithm 2), x_t -> x_{t-1}:
    1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - abar_t) eps) + sigma_t z, with sigma_t^2 the
    posterior variance beta_t (1 - abar_{t-1}) / (1 - abar_t); no noise at the last step.

    With `clip`, as in Ho et al.'s code: estimate x_0 from eps, clip it to [-clip, clip], and take
    the mean of q(x_{t-1} | x_t, x_0) (the same mean when nothing is clipped). Images need it: the
    cosine schedule's last beta_T = 0.999 makes 1/sqrt(alpha_T) = 32, which multiplies any error
    in eps at the first step by 32."""
    s = schedule
    if clip is None:
        mean = (x - s.betas[t] / (1 - s.abar[t]).sqrt() * eps) / s.alphas[t].sqrt()
    else:
        x0 = estimate_x0(s, x, t, eps, clip)
        mean = (s.abar[t - 1].sqrt() * s.betas[t] * x0 + s.alphas[t].sqrt() * (1 - s.abar[t - 1]) * x) / (1 - s.abar[t])
    if t == 1 or noise is None:
        return mean
    return mean + posterior_variance(s)[t].sqrt() * noise


def ddim_step(schedule: Schedule, x: torch.Tensor, t: int, previous: int, eps: torch.Tensor,
              clip: float | None = None) -> torch.Tensor:
    """One deterministic step (Song et al. 2021, eq. 12 with sigma = 0), x_t -> x_previous for any
    previous < t: estimate x_0 from the predicted noise, then noise it to step `previous`."""
    s = schedule
    x0 = estimate_x0(s, x, t, eps, clip)
    if clip is not None:  # images: the noise consistent with the clipped x_0
        eps = (x - s.abar[t].sqrt() * x0) / (1 - s.abar[t]).sqrt()
    return s.abar[previous].sqrt() * x0 + (1 - s.abar[previous]).sqrt() * eps


def ddim_times(num_steps: int, steps: int) -> list[int]:
    """`steps` + 1 evenly spaced steps from T down to 0."""
    return torch.linspace(num_steps, 0, steps + 1).round().long().tolist()


def ddim_path(predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], schedule: Schedule,
              x: torch.Tensor, steps: int, clip: float | None = None) -> list[torch.Tensor]:
    """DDIM from x = x_T to x_0 in `steps` steps, for any noise predictor eps(x_t, t): every x
    along the way, [x_T, ..., x_0]."""
    path = [x]
    times = ddim_times(schedule.num_steps, steps)
    for t, previous in zip(times[:-1], times[1:]):
        eps = predict(path[-1], torch.full((len(x),), t, device=x.device))
        path.append(ddim_step(schedule, path[-1], t, previous, eps, clip))
    return path


def log_snr(schedule: Schedule) -> torch.Tensor:
    """lambda_t = log(sqrt(abar_t) / sqrt(1 - abar_t)), the log signal-to-noise ratio of step t,
    for t = 0 .. T (infinite at t = 0, where there is no noise)."""
    return 0.5 * torch.log(schedule.abar / (1 - schedule.abar))


def logsnr_times(schedule: Schedule, steps: int) -> list[int]:
    """`steps` + 1 distinct steps from T down to 0: T, then the steps nearest to evenly spaced
    values of `log_snr` down to step 1 (each at least one below the last, leaving room for the
    rest), then 0. Lu et al.'s spacing for images: short steps where lambda changes fast."""
    T = schedule.num_steps
    if not 1 <= steps <= T:
        raise ValueError(f"steps must be in 1..{T}, got {steps}")
    lam = log_snr(schedule)[1:]  # (T,): steps 1..T
    times: list[int] = []
    for target in torch.linspace(lam[-1].item(), lam[0].item(), steps):
        nearest = int((lam - target).abs().argmin()) + 1
        times.append(min(nearest, times[-1] - 1) if times else T)
    return [max(t, steps - i) for i, t in enumerate(times)] + [0]


def dpm_solver_path(predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], schedule: Schedule,
                    x: torch.Tensor, times: Sequence[int], clip: float | None = None) -> list[torch.Tensor]:
    """DPM-Solver++(2M) (Lu et al. 2022) from x = x_T through `times` (from T down to 0): every x
    along the way. Each step costs one network pass, as DDIM's, but extrapolates the estimate of
    x_0 linearly from the last two steps (in lambda, `log_snr`), a
    second-order step. The first and the last step are DDIM's (the last lands on x_0 itself)."""
    s, lam = schedule, log_snr(schedule)
    path, previous_x0, previous_h = [x], None, None
    for t, next_t in zip(times[:-1], times[1:]):
        eps = predict(path[-1], torch.full((len(x),), t, device=x.device))
        x0 = estimate_x0(s, path[-1], t, eps, clip)
        if next_t == 0:
            path.append(x0)
            break
        h = lam[next_t] - lam[t]
        if previous_x0 is None:
            direction = x0  # DDIM's step
        else:
            r = previous_h / h
            direction = (1 + 1 / (2 * r)) * x0 - 1 / (2 * r) * previous_x0
        ratio = ((1 - s.abar[next_t]) / (1 - s.abar[t])).sqrt()
        path.append(ratio * path[-1] - s.abar[next_t].sqrt() * torch.expm1(-h) * direction)
        previous_x0, previous_h = x0, h
    return path
