"""A normalizing flow of grey digits (RealNVP): an exact, invertible map to Gaussian noise.

Taught in notebooks/07_normalizing_flows.ipynb. References:
- L. Dinh, D. Krueger, Y. Bengio (2015). NICE: Non-linear Independent Components Estimation.
  arXiv:1410.8516. (Coupling layers.)
- L. Dinh, J. Sohl-Dickstein, S. Bengio (2017). Density estimation using Real NVP. arXiv:1605.08803.
  (Affine couplings, checkerboard and channel masks, squeeze, the multi-scale split, the logit.)
- J. Ho, X. Chen, A. Srinivas, Y. Duan, P. Abbeel (2019). Flow++. arXiv:1902.00275.
  (Dequantization as a bound: uniform and variational.)

An invertible f maps a digit v to z = f(v) with a simple density p(z) = N(0, I). The change of
variables gives the density of v exactly,

    log p(v) = log N(f(v); 0, I) + log |det df/dv|,

and a coupling layer makes both terms cheap: half the values pass unchanged and set a scale and
shift for the other half, z_b = v_b * exp(s(v_a)) + t(v_a), so the inverse is as cheap as the
forward and the Jacobian is triangular, its log-determinant the sum of s.

Grey digits are 256 levels k, not real numbers: a density on them could pile up without bound on the
levels. Dequantization spreads each level over its bin, v = (k + u) / 256 with u ~ U[0, 1)^D, and
    log P(k) >= E_u[log p(v)] - D log 256,
so training on the bound fits the discrete digits. Everything here is in nats per digit;
bits/dim = nats / (784 ln 2) (`lecturelib.metrics`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .checks import LEVELS, check_codes, check_count, grey_levels


def squeeze(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, 4C, H/2, W/2): each 2x2 patch becomes 4 channels (invertible)."""
    b, c, h, w = x.shape
    x = x.view(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(b, c * 4, h // 2, w // 2)


def unsqueeze(x: torch.Tensor) -> torch.Tensor:
    """The inverse of `squeeze`."""
    b, c, h, w = x.shape
    x = x.view(b, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(b, c // 4, h * 2, w * 2)


def checkerboard(height: int, width: int, parity: int) -> torch.Tensor:
    """(1, 1, H, W) mask, 1 on the squares (i + j) % 2 == parity: the values that pass unchanged."""
    i, j = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    return ((i + j) % 2 == parity).float().view(1, 1, height, width)


class ConcatELU(nn.Module):
    """ELU of x and of -x, side by side: keeps the sign information a plain ELU loses."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.elu(torch.cat([x, -x], dim=1))


class GatedBlock(nn.Module):
    """x + gate(conv(x)), a gated residual step (a * sigmoid(b)), normalized over channels."""

    def __init__(self, channels: int):
        super().__init__()
        self.net = nn.Sequential(ConcatELU(), nn.Conv2d(2 * channels, channels, 3, padding=1),
                                 ConcatELU(), nn.Conv2d(2 * channels, 2 * channels, 1))
        self.norm = nn.GroupNorm(1, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.net(x).chunk(2, dim=1)
        return self.norm(x + a * torch.sigmoid(b))


def coupling_net(c_in: int, c_out: int, hidden: int, num_blocks: int) -> nn.Sequential:
    """The network of a coupling layer: (B, c_in, H, W) -> (B, 2 c_out, H, W), a scale and a shift.
    Its last layer starts at zero, so every coupling starts as the identity."""
    last = nn.Conv2d(2 * hidden, 2 * c_out, 3, padding=1)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return nn.Sequential(nn.Conv2d(c_in, hidden, 3, padding=1),
                         *[GatedBlock(hidden) for _ in range(num_blocks)], ConcatELU(), last)


class AffineCoupling(nn.Module):
    """z = mask * v + (1 - mask) * (v * exp(s) + t), s and t computed from mask * v.

    `mask` is a fixed 0/1 tensor broadcast over the batch: a checkerboard (1, 1, H, W) or a channel
    mask (1, C, 1, 1). The scale is soft-clamped, s = c tanh(s_raw / c), with c learned per channel,
    so that no early step can blow the values up."""

    def __init__(self, mask: torch.Tensor, channels: int, hidden: int, num_blocks: int):
        super().__init__()
        self.register_buffer("mask", mask)
        self.net = coupling_net(channels + 1, channels, hidden, num_blocks)  # + the mask, as a map
        self.log_clamp = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def scale_shift(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask_map = self.mask.expand(len(kept), 1, *kept.shape[2:]) if self.mask.shape[1] == 1 \
            else self.mask[:, :1].expand(len(kept), 1, *kept.shape[2:])
        s, t = self.net(torch.cat([kept, mask_map], dim=1)).chunk(2, dim=1)
        clamp = self.log_clamp.exp()
        s = clamp * torch.tanh(s / clamp)
        free = 1 - self.mask
        return s * free, t * free

    def forward(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """v -> (z, log|det dz/dv| per example)."""
        s, t = self.scale_shift(v * self.mask)
        return v * s.exp() + t, s.flatten(1).sum(1)

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        s, t = self.scale_shift(z * self.mask)  # the kept values are unchanged, so s, t are the same
        return (z - t) * (-s).exp()


def channel_mask(channels: int, parity: int) -> torch.Tensor:
    """(1, C, 1, 1) mask, 1 on the first half of the channels (parity 0) or the second (parity 1)."""
    mask = torch.zeros(1, channels, 1, 1)
    half = channels // 2
    if parity == 0:
        mask[:, :half] = 1
    else:
        mask[:, half:] = 1
    return mask


@dataclass(frozen=True)
class FlowConfig:
    """The defaults are the shipped model, data/checkpoints/flow.pt. A multi-scale RealNVP for 28x28 digits: checkerboard couplings at 28x28, squeeze, channel
    couplings at 14x14 (4 channels), half the values leave for the prior, squeeze, channel couplings
    at 7x7 (8 channels)."""

    couplings: tuple[int, int, int] = (4, 6, 4)  # coupling layers at 28x28, 14x14, 7x7
    hidden: tuple[int, int, int] = (24, 48, 64)  # channels of their networks
    num_blocks: int = 1  # gated residual blocks per coupling network
    alpha: float = 0.05  # v -> logit(alpha + (1 - 2 alpha) v): keeps the logit away from 0 and 1

    def __post_init__(self):  # a checkpoint stores the tuples as JSON lists
        for name in ("couplings", "hidden"):
            value = tuple(getattr(self, name))
            if len(value) != 3 or any(not isinstance(n, int) or n < 1 for n in value):
                raise ValueError(f"FlowConfig.{name} is three whole numbers >= 1 (28x28, 14x14, 7x7), got {value}")
            object.__setattr__(self, name, value)
        if not 0 < self.alpha < 0.5:
            raise ValueError(f"FlowConfig.alpha must be in (0, 0.5), got {self.alpha}")


class RealNVP(nn.Module):
    """A normalizing flow of grey digits. `log_prob(x)` is the dequantization bound on log P(x) of
    the 8-bit digits (nats per digit; one draw of u, or the bin centres with `centre=True`);
    `loss(x)` its negative mean; `sample(n)` draws digits; `encode`/`decode` map digits to their
    exact latent z (784 numbers) and back."""

    dequantized = True  # log_prob is a bound that draws u: the recipes pass it a seeded generator

    def __init__(self, config: FlowConfig = FlowConfig()):
        super().__init__()
        self.config = config
        n1, n2, n3 = config.couplings
        h1, h2, h3 = config.hidden
        b = config.num_blocks
        self.scale1 = nn.ModuleList(AffineCoupling(checkerboard(28, 28, i % 2), 1, h1, b) for i in range(n1))
        self.scale2 = nn.ModuleList(AffineCoupling(channel_mask(4, i % 2), 4, h2, b) for i in range(n2))
        self.scale3 = nn.ModuleList(AffineCoupling(channel_mask(8, i % 2), 8, h3, b) for i in range(n3))

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # v in [0, 1]^784 <-> z in R^784 -----------------------------------------------------------

    def forward(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Dequantized digits v (B, 1, 28, 28) in (0, 1) -> (z (B, 784), log|det dz/dv| (B,))."""
        a = self.config.alpha
        p = a + (1 - 2 * a) * v
        h = torch.log(p) - torch.log1p(-p)
        log_det = (math.log(1 - 2 * a) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)
        for layer in self.scale1:
            h, ld = layer(h)
            log_det = log_det + ld
        h = squeeze(h)
        for layer in self.scale2:
            h, ld = layer(h)
            log_det = log_det + ld
        out, h = h[:, :2], squeeze(h[:, 2:])  # half leaves for the prior at 14x14
        for layer in self.scale3:
            h, ld = layer(h)
            log_det = log_det + ld
        return torch.cat([out.flatten(1), h.flatten(1)], dim=1), log_det

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, 784) -> v (B, 1, 28, 28) in (0, 1): the forward map undone, layer by layer."""
        out, h = z[:, :392].view(-1, 2, 14, 14), z[:, 392:].view(-1, 8, 7, 7)
        for layer in reversed(self.scale3):
            h = layer.inverse(h)
        h = torch.cat([out, unsqueeze(h)], dim=1)
        for layer in reversed(self.scale2):
            h = layer.inverse(h)
        h = unsqueeze(h)
        for layer in reversed(self.scale1):
            h = layer.inverse(h)
        a = self.config.alpha
        return ((torch.sigmoid(h) - a) / (1 - 2 * a)).clamp(0, 1)

    def log_density(self, v: torch.Tensor) -> torch.Tensor:
        """log p(v) of continuous digits v in (0, 1): the change of variables, nats per digit."""
        z, log_det = self(v)
        return -0.5 * (z ** 2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi) + log_det

    # the 8-bit digits --------------------------------------------------------------------------

    def log_prob(self, x: torch.Tensor, *, centre: bool = False,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """The uniform-dequantization bound on log P(x) of 8-bit digits x (B, 1, 28, 28) in [0, 1]:
        log p((k + u) / 256) - 784 log 256, one u ~ U[0, 1) per pixel (u = 1/2 with `centre`)."""
        k = grey_levels(x, "RealNVP.log_prob")
        u = torch.full_like(k, 0.5) if centre else torch.rand(k.shape, generator=generator).to(k)  # drawn on the CPU
        return self.log_density((k + u) / LEVELS) - k[0].numel() * math.log(LEVELS)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean negative dequantization bound, nats per digit: what training minimises."""
        return -self.log_prob(x).mean()

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """8-bit digits -> their latent z (B, 784), each pixel at its bin's centre: deterministic."""
        k = grey_levels(x, "RealNVP.encode")
        return self((k + 0.5) / LEVELS)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, 784) -> digits in [0, 1], each pixel rounded down to its 8-bit level."""
        check_codes(z, None, 784, "RealNVP.decode")
        v = self.inverse(z)
        return (v * LEVELS).floor().clamp(max=LEVELS - 1) / (LEVELS - 1)

    @torch.no_grad()
    def sample(self, n: int, *, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """n digits (n, 1, 28, 28) in [0, 1]: z ~ N(0, T^2 I), decoded. T < 1 trades variety for
        cleaner strokes."""
        n = check_count(n, "RealNVP.sample")
        if not isinstance(temperature, (int, float)) or not 0 < temperature <= 2:
            raise ValueError(f"RealNVP.sample: temperature must be a number in (0, 2], got {temperature!r}")
        z = torch.randn(n, 784, generator=generator, device=self.device if generator is None
                        else generator.device) * temperature
        return self.decode(z.to(self.device))
