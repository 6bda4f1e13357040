"""Two baselines that every notebook measures against: they fit in a second, without training.

- `IndependentPixels` (notebooks 00, 03 and the recap): p(x) = prod_i Bernoulli(x_i; p_i), with
  p_i the mean grey level of pixel i over the training digits. No pixel knows any other. Its exact
  NLL is the floor any real model of binarized digits must beat.
- `IndependentGreyLevels` (notebook 07): the same idea for the 8-bit digits, each pixel its own
  256-way histogram of the training digits' levels, smoothed by `prior` counts per level; the floor
  of the grey-level scale.
- `PCAMixture` (notebook 01 and the recap): a Gaussian mixture fitted by EM to the first
  `num_codes` PCA coordinates of the grey digits; a sample is decoded back to pixels. Its density
  is over the codes (continuous), so it has no NLL on binarized digits.

The maximum-likelihood p_i of independent Bernoulli pixels under dynamic binarization is the mean
grey level (set d/dp_i of the expected log-likelihood to zero). Pixels that are never on in any
training digit would get p_i = 0 and an infinite NLL for a test digit that has ink there, so p_i
is clipped to [PIXEL_CLIP, 1 - PIXEL_CLIP]: one constant, used everywhere in the course.
"""

from __future__ import annotations

import torch
from torch import nn

from ..density import PCA, fit_gaussian_mixture
from .checks import BINARY, LEVELS, UNIT, check_count, check_images, grey_levels
from .likelihood import bernoulli_nll

PIXEL_CLIP = 1e-3  # keeps log p_i finite for pixels never on in training


class IndependentPixels(nn.Module):
    """p(x) = prod_i Bernoulli(x_i; p_i) with p_i the clipped mean grey level of pixel i."""

    def __init__(self, x_train: torch.Tensor):
        super().__init__()
        check_images(x_train, "IndependentPixels", UNIT, size=None)  # grey or binary digits
        probs = x_train.mean(0).clamp(PIXEL_CLIP, 1 - PIXEL_CLIP)  # (1, 28, 28)
        self.logits = nn.Parameter(torch.logit(probs), requires_grad=False)

    @property
    def probs(self) -> torch.Tensor:
        """p(x_i = 1) of every pixel, (1, 28, 28)."""
        return torch.sigmoid(self.logits)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) in nats per digit (B,) of binarized digits (B, 1, 28, 28)."""
        check_images(x, "IndependentPixels.log_prob", BINARY, size=tuple(self.logits.shape[-2:]))
        return -bernoulli_nll(self.logits.expand_as(x), x, checked=True)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n digits (n, 1, 28, 28), each pixel its own coin."""
        n = check_count(n, "IndependentPixels.sample")
        return torch.bernoulli(self.probs.expand(n, -1, -1, -1).cpu(), generator=generator).to(self.logits.device)


class IndependentGreyLevels(nn.Module):
    """P(x) = prod_i P_i(k_i): pixel i's level k_i in 0..255 drawn from its own histogram over the
    training digits, (count of k at i + prior) / (N + 256 prior). Without the prior a level never
    seen at a pixel would get probability 0 and a test digit with it an infinite NLL."""

    def __init__(self, x_train: torch.Tensor, prior: float = 0.3):
        super().__init__()
        if not isinstance(prior, (int, float)) or not prior > 0:
            raise ValueError(f"IndependentGreyLevels: prior must be a count > 0 per level, got {prior!r}")
        k = grey_levels(x_train, "IndependentGreyLevels").long().flatten(1)  # (N, 784)
        counts = torch.zeros(k.shape[1], LEVELS).scatter_add_(1, k.T, torch.ones_like(k.T, dtype=torch.float))
        self.log_probs = nn.Parameter(((counts + prior) / (len(k) + LEVELS * prior)).log(),
                                      requires_grad=False)  # (784, 256)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log P(x) in nats per digit (B,) of 8-bit digits (B, 1, 28, 28) in [0, 1]."""
        k = grey_levels(x, "IndependentGreyLevels.log_prob").long().flatten(1)  # (B, 784)
        return self.log_probs.gather(1, k.T).sum(0)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n digits (n, 1, 28, 28) in [0, 1], each pixel its own 256-sided die."""
        n = check_count(n, "IndependentGreyLevels.sample")
        k = torch.multinomial(self.log_probs.exp().cpu(), n, replacement=True, generator=generator)  # (784, n)
        return (k.T.float() / (LEVELS - 1)).view(n, 1, 28, 28).to(self.log_probs.device)


class PCAMixture(nn.Module):
    """A Gaussian mixture (by EM) on the first `num_codes` PCA coordinates of the grey digits;
    samples are the mixture's codes decoded back to pixels and clipped to [0, 1]."""

    def __init__(self, x_train: torch.Tensor, num_codes: int = 30, num_components: int = 10,
                 seed: int = 0):
        super().__init__()
        flat = x_train.flatten(1)  # (N, 784)
        self.pca = PCA.fit(flat, num_codes)
        self.num_codes = num_codes
        self.mixture, _ = fit_gaussian_mixture(self.pca.project(flat, num_codes), num_components,
                                               num_iters=100, generator=torch.Generator().manual_seed(seed))

    def num_parameters(self) -> int:
        """Free numbers: PCA mean and directions, mixture weights (K - 1), means, covariances."""
        k, d = self.mixture.means.shape
        pixels = self.pca.mean.numel()
        return pixels + self.num_codes * pixels + (k - 1) + k * d + k * d * (d + 1) // 2

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        codes = self.mixture.sample(check_count(n, "PCAMixture.sample"), generator=generator)  # (n, num_codes)
        return self.pca.reconstruct(codes).clamp(0, 1).reshape(n, 1, 28, 28)
