"""What every pixel model shares (PixelCNN, gated PixelCNN, Row LSTM): the exact likelihood by the
chain rule, the sampler that draws one pixel at a time, the output head, and the map of what an
output depends on.

    log p(x) = sum_i log p(x_i | x_<i),    p(x_i = 1 | x_<i) = sigmoid(logit_i(x_<i)).

A model defines `logits(x)`, where logit i depends only on the pixels before i in raster order;
this base class turns that into `log_prob`, `loss` and `sample`.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch
from torch import nn

from .checks import BINARY, check_count, check_images
from .likelihood import bernoulli_nll

HEIGHT = WIDTH = 28  # a digit; the models are fully convolutional, the sampler uses the shape given


# ---------------------------------------------------------------------------------------------
# Sampling: the chain rule run forwards, one pixel at a time
# ---------------------------------------------------------------------------------------------

class Samples(NamedTuple):
    x: torch.Tensor  # (B, 1, H, W) digits in {0, 1}
    probs: torch.Tensor  # (B, 1, H, W) p(x_i = 1 | x_<i) of every pixel as it was drawn


def sample_pixel_by_pixel(logits_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                          uniform: torch.Tensor, start: int = 0) -> Samples:
    """The lecture's loop: for each pixel i in raster order, one pass of the network over the
    whole image so far gives p(x_i = 1 | x_<i), and a coin decides: x_i = 1 when u_i < p.

    x (B, 1, H, W): the pixels before raster index `start` are kept (given), the rest drawn in
    place; uniform (B, H*W): one number in [0, 1) per pixel, so the same numbers give the same
    digits whichever way the logits are computed."""
    probs = torch.zeros_like(x)
    width = x.shape[-1]
    for i in range(start, x.shape[-2] * width):
        row, col = divmod(i, width)
        p = torch.sigmoid(logits_fn(x)[:, 0, row, col])  # (B,): a pass, for one pixel
        probs[:, 0, row, col] = p
        x[:, 0, row, col] = (uniform[:, i] < p).float()
    return Samples(x, probs)



# ---------------------------------------------------------------------------------------------
# The base class: the likelihood and the sampler
# ---------------------------------------------------------------------------------------------

class AutoregressiveImageModel(nn.Module):
    """Base of the pixel models: subclasses define `logits(x)` (B, 1, H, W) -> (B, 1, H, W), where
    logit (r, c) depends only on pixels before (r, c) in raster order, and `rows_above`, how many
    rows above its own one output can see, which for these models is also how many columns to
    either side it can see (None: all of them, as in an LSTM)."""

    rows_above: int | None = None

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(x)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) in nats per digit: (B, 1, 28, 28) in {0, 1} -> (B,)."""
        check_images(x, f"{type(self).__name__}.log_prob", BINARY)  # trained on 28x28 digits
        return -bernoulli_nll(self.logits(x), x, checked=True)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood, nats per digit: the training objective."""
        return -self.log_prob(x).mean()

    @torch.no_grad()
    def sample(self, n: int | None = None, *, generator: torch.Generator | None = None,
               given: torch.Tensor | None = None, num_given: int = 0,
               shape: tuple[int, int] = (HEIGHT, WIDTH), fast: bool = True) -> torch.Tensor:
        """Draw digits pixel by pixel in raster order, x_i ~ Bernoulli(sigmoid(logit_i(x_<i))):
        (n, 1, H, W) in {0, 1}. `sample_with_probs` also returns each p(x_i = 1 | x_<i).

        Args:
            n: number of digits (not needed when `given` is).
            generator: seeds the draws; the same seed gives the same digits.
            given, num_given: completions: keep the first `num_given` pixels (raster order) of the
                images `given` (B, 1, H, W) and sample the rest, e.g. num_given = 14 * 28 keeps the
                top half.
            fast: compute each pixel's logit on only what it can see (`_draw_fast`); False runs
                the lecture's loop, `sample_pixel_by_pixel`, a full pass per pixel. Both give the
                same digits (tested).
        """
        return self.sample_with_probs(n, generator=generator, given=given, num_given=num_given,
                                      shape=shape, fast=fast).x

    @torch.no_grad()
    def sample_with_probs(self, n: int | None = None, *, generator: torch.Generator | None = None,
                          given: torch.Tensor | None = None, num_given: int = 0,
                          shape: tuple[int, int] = (HEIGHT, WIDTH), fast: bool = True) -> Samples:
        """As `sample`, and p(x_i = 1 | x_<i) of every pixel as it was drawn."""
        if given is not None:
            check_images(given, "sample(given=...)", BINARY, size=None, dtype=None)
            n = given.shape[0]
        n = check_count(n, "sample()", "digits to draw; or pass `given` images to complete")
        height, width = shape if given is None else given.shape[-2:]
        if not 0 <= num_given <= height * width:
            raise ValueError(f"num_given must be in [0, {height * width}], got {num_given}")
        weight = next(self.parameters())
        uniform = torch.rand(n, height * width, generator=generator).to(weight)  # one per pixel
        x = weight.new_zeros(n, 1, height, width)
        if given is not None:
            x.view(n, -1)[:, :num_given] = given.to(weight).reshape(n, -1)[:, :num_given]
        if fast:
            return self._draw_fast(x, uniform, num_given)
        return sample_pixel_by_pixel(self.logits, x, uniform, num_given)

    def _draw_fast(self, x: torch.Tensor, uniform: torch.Tensor, start: int) -> Samples:
        """A faster sampler that gives the same digits as `sample_pixel_by_pixel`; each model
        defines its own (the PixelCNNs cache every layer's activations, the Row LSTM its state).
        By default, the plain loop."""
        return sample_pixel_by_pixel(self.logits, x, uniform, start)


def dependency_map(logits_fn: Callable[[torch.Tensor], torch.Tensor], row: int, col: int,
                   x: torch.Tensor | None = None, shape: tuple[int, int] = (HEIGHT, WIDTH)
                   ) -> torch.Tensor:
    """Which input pixels the logit at (row, col) depends on, measured by gradients: returns the
    (H, W) map |d logit(row, col) / d x| for one input image (random {0, 1} pixels if x is None).
    Zero everywhere at and after (row, col) in raster order is what causality means; zeros before
    it are what the model cannot see: beyond its reach, or a blind spot within it."""
    if x is None:
        x = torch.bernoulli(torch.full((1, 1, *shape), 0.5))
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits_fn(x)[0, 0, row, col].backward()
    return x.grad[0, 0].abs()


def output_head(channels: int, head_channels: int) -> nn.Sequential:
    """ReLU, 1x1, ReLU, 1x1 -> one Bernoulli logit per pixel. 1x1 layers look at one position, so
    they keep the causal structure of their input."""
    return nn.Sequential(nn.ReLU(), nn.Conv2d(channels, head_channels, 1), nn.ReLU(),
                         nn.Conv2d(head_channels, 1, 1))
