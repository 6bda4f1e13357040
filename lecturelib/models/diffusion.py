"""Diffusion models: destroy a digit with noise in T small steps, learn to undo one step.

The library of notebook 06, diffusion models. References:
- J. Sohl-Dickstein, E. Weiss, N. Maheswaranathan, S. Ganguli (2015). Deep Unsupervised Learning
  using Nonequilibrium Thermodynamics. arXiv:1503.03585.
- J. Ho, A. Jain, P. Abbeel (2020). Denoising Diffusion Probabilistic Models. arXiv:2006.11239.
  (The forward process and its closed form, eq. 4; the noise-prediction loss, eq. 14, a weighted
  form of the ELBO, eq. 12; ancestral sampling, Algorithm 2.)
- A. Nichol, P. Dhariwal (2021). Improved Denoising Diffusion Probabilistic Models.
  arXiv:2102.09672. (The cosine schedule.)
- J. Song, C. Meng, S. Ermon (2021). Denoising Diffusion Implicit Models. arXiv:2010.02502.
  (Deterministic sampling in a few steps.)
- J. Ho, T. Salimans (2022). Classifier-Free Diffusion Guidance. arXiv:2207.12598.
- Y. Lipman, R. Chen, H. Ben-Hamu, M. Nickel, M. Le (2023). Flow Matching for Generative
  Modeling. arXiv:2210.02747. X. Liu, C. Gong, Q. Liu (2023). Flow Straight and Fast.
  arXiv:2209.03003. (Straight paths from noise to data, a velocity regressed along them.)
- T. Karras, M. Aittala, T. Aila, S. Laine (2022). Elucidating the Design Space of
  Diffusion-Based Generative Models. arXiv:2206.00364. (DDIM as Euler steps in x_t / sqrt(abar_t).)
- C. Lu, Y. Zhou, F. Bao, J. Chen, C. Li, J. Zhu (2022). DPM-Solver++: Fast Solver for Guided
  Sampling of Diffusion Probabilistic Models. arXiv:2211.01095. (A second-order step, same network.)

The forward process adds Gaussian noise, step t with variance beta_t:

    q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),
    q(x_t | x_0)     = N(sqrt(abar_t) x_0, (1 - abar_t) I),   abar_t = prod_{s<=t} (1 - beta_s),

so a noisy version of a digit at any step is one line: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
A network eps_theta(x_t, t) learns to predict the noise eps that was added (the loss is a mean
squared error); the reverse process runs the other way, from pure noise x_T ~ N(0, I) to a digit.

Digits are grey levels scaled to [-1, 1]; `sample` returns them in [0, 1], like the GANs'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..config import isolated_seed
from .checks import UNIT, check_count, check_guidance, check_images, check_labels, check_steps


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
# Training and sampling, for any noise predictor eps(x_t, t)
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


# ---------------------------------------------------------------------------------------------
# Flow matching: the same regression, along straight paths
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# The network: a small U-Net that sees the step t (and a label)
# ---------------------------------------------------------------------------------------------

DDIM_STEPS = 25  # the default of `DiffusionModel.sample`: 64 digits in a few seconds on 2 cores


@dataclass(frozen=True)
class DiffusionConfig:
    channels: int = 32  # C at 28 x 28; 2C at 14 x 14 and 7 x 7
    num_steps: int = 1000  # T
    num_classes: int = 0  # 0: unconditional; 10: label in (a learned "no label" as well)
    label_dropout: float = 0.1  # training without the label this often (classifier-free guidance)
    dropout: float = 0.1


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


# ---------------------------------------------------------------------------------------------
# The model: the loss, and two samplers
# ---------------------------------------------------------------------------------------------

class DiffusionModel(nn.Module):
    """A denoising diffusion model of grey digits: `loss(x)` trains it, `sample(n)` draws digits
    (DDIM in `steps` steps, or DDPM's ancestral sampler through all T), `guidance` steers the
    conditional one towards its labels."""

    def __init__(self, config: DiffusionConfig = DiffusionConfig()):
        super().__init__()
        self.config = config
        self.schedule = Schedule(cosine_schedule(config.num_steps))
        self.net = UNet(config)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def loss(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """`denoising_loss` on digits in [0, 1] (scaled to [-1, 1]); the conditional model sees
        "no label" for a share `label_dropout` of them, so that it also learns p(x) for guidance."""
        check_images(x, "DiffusionModel.loss", UNIT)  # the digits as loaded; scaled to [-1, 1] below
        check_labels(labels, len(x), self.config.num_classes, "DiffusionModel.loss", "diffusion model", no_label_token=True)
        if labels is not None and self.config.num_classes:
            dropped = torch.rand(len(x), device=x.device) < self.config.label_dropout
            labels = torch.where(dropped, torch.full_like(labels, self.config.num_classes), labels)
        return denoising_loss(lambda x_t, t: self.net(x_t, t, labels), self.schedule, x * 2 - 1)

    def predict_noise(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None,
                      guidance: float = 0.0) -> torch.Tensor:
        """eps_theta(x_t, t, y); with guidance w > 0, (1 + w) eps(x_t, t, y) - w eps(x_t, t):
        classifier-free guidance pushes away from what the model predicts without the label."""
        if labels is None or guidance == 0:
            return self.net(x, t, labels)
        both = self.net(torch.cat([x, x]), torch.cat([t, t]),
                        torch.cat([labels, torch.full_like(labels, self.config.num_classes)]))
        with_label, without = both.chunk(2)
        return (1 + guidance) * with_label - guidance * without

    @torch.no_grad()
    def sample(self, n: int, *, steps: int | None = None, method: str = "ddim",
               generator: torch.Generator | None = None, labels: torch.Tensor | None = None,
               guidance: float = 0.0) -> torch.Tensor:
        """n digits (n, 1, 28, 28) in [0, 1], from x_T ~ N(0, I).

        method "ddim": Song et al.'s deterministic sampler on `steps` evenly spaced steps
        (DDIM_STEPS when None); method "dpm": DPM-Solver++(2M), deterministic too, `steps`
        network passes spaced evenly in log SNR (`logsnr_times`); method "ddpm": Ho et al.'s
        Algorithm 2, a fresh noise at each of the T steps (`steps` must be None or T).
        `labels` (n,) for the conditional model; `guidance` is w."""
        if method not in ("ddim", "dpm", "ddpm"):
            raise ValueError(f"method must be 'ddim', 'dpm' or 'ddpm', got {method!r}")
        T = self.config.num_steps
        if method == "ddpm" and steps not in (None, T):
            raise ValueError(f"DDPM runs all T = {T} steps; for fewer, use method='ddim'")
        if steps is None:
            steps = T if method == "ddpm" else DDIM_STEPS
        where, K = "DiffusionModel.sample", self.config.num_classes
        check_steps(steps, T, where)
        check_labels(labels, check_count(n, where), K, where, "diffusion model", no_label_token=True)  # K: "no label"
        check_guidance(guidance, bool(K), labels is not None, where)
        was_training = self.training
        self.eval()
        x = torch.randn(n, 1, 28, 28, generator=generator).to(self.device)
        labels = None if labels is None else labels.to(self.device)
        predict = lambda x_t, t: self.predict_noise(x_t, t, labels, guidance)  # noqa: E731
        if method == "ddpm":
            x = self._ddpm(predict, x, generator)
        elif method == "dpm":
            x = dpm_solver_path(predict, self.schedule, x, logsnr_times(self.schedule, steps), clip=1.0)[-1]
        else:
            x = ddim_path(predict, self.schedule, x, steps, clip=1.0)[-1]
        self.train(was_training)
        return ((x + 1) / 2).clamp(0, 1)

    def _ddpm(self, predict, x, generator):
        for t in range(self.config.num_steps, 0, -1):
            eps = predict(x, torch.full((len(x),), t, device=x.device))
            noise = torch.randn(x.shape, generator=generator).to(x.device) if t > 1 else None
            x = ddpm_step(self.schedule, x, t, eps, noise, clip=1.0)
        return x
