"""PixelCNN and gated PixelCNN: an exact likelihood, one pixel at a time.

Taught in notebooks/03_pixelrnn_pixelcnn.ipynb. References:
- A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu (2016). Pixel Recurrent Neural Networks.
  arXiv:1601.06759. (Masked convolutions of type A and B, §3.4; the PixelCNN, §3.5.)
- A. van den Oord, N. Kalchbrenner, O. Vinyals, L. Espeholt, A. Graves, K. Kavukcuoglu (2016).
  Conditional Image Generation with PixelCNN Decoders. arXiv:1606.05328. (Gated PixelCNN: vertical
  and horizontal stacks without a blind spot, gated activations, §2.2.)

A fully visible belief network writes the probability of a binarized digit x, its 784 pixels in
raster order (row by row, left to right), with the chain rule, which holds for any distribution:

    log p(x) = sum_i log p(x_i | x_1, ..., x_{i-1}),
    p(x_i = 1 | x_<i) = sigmoid(logit_i(x_<i)).

Every factor is a Bernoulli whose logit a network computes from the pixels before i, so log p(x)
is exact: a sum of 784 terms, all computed in one pass, because masked convolutions let output i
see only inputs before i. Training is parallel over pixels; sampling is sequential (784 passes).
All likelihoods are in nats per digit; bits/dim = nats / (784 ln 2) (`lecturelib.metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from .checks import BINARY, check_count, check_images
from .likelihood import bernoulli_nll

HEIGHT = WIDTH = 28  # a digit; the models are fully convolutional, the sampler uses the shape given


# ---------------------------------------------------------------------------------------------
# Masked convolutions
# ---------------------------------------------------------------------------------------------

def causal_mask(kernel_size: int | tuple[int, int], mask_type: str) -> torch.Tensor:
    """The (kH, kW) mask of a masked convolution (van den Oord et al. 2016a, §3.4, Fig. 2):
    1 above the centre row and left of the centre in its row; the centre itself is 0 for type A
    (first layer: output i must not see input i) and 1 for type B (later layers: position i of a
    hidden map already depends only on inputs before i)."""
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    mask = torch.ones(kh, kw)
    mask[kh // 2, kw // 2 + (mask_type == "B"):] = 0  # the centre (type A) and right of it
    mask[kh // 2 + 1:] = 0  # rows below the centre
    return mask


def vertical_mask(kernel_size: int, include_centre_row: bool) -> torch.Tensor:
    """Mask of the gated PixelCNN's vertical stack: every row above the centre, full width (so no
    blind spot), plus the centre row in later layers (van den Oord et al. 2016b, §2.2)."""
    mask = torch.zeros(kernel_size, kernel_size)
    mask[:kernel_size // 2 + include_centre_row] = 1
    return mask


def horizontal_mask(kernel_size: int, include_centre: bool) -> torch.Tensor:
    """Mask of the horizontal stack, a (1, k) convolution along the row: left of the centre,
    plus the centre in later layers."""
    mask = torch.zeros(1, kernel_size)
    mask[0, :kernel_size // 2 + include_centre] = 1
    return mask


class MaskedConv2d(nn.Module):
    """A 'same'-size convolution whose (kH, kW) kernel is multiplied by a fixed 0/1 mask:

        y = conv2d(x, weight * mask) + bias,

    which is the whole idea of a masked convolution. (Convolving with only the mask's non-zero
    rows was tried as a speed-up: on 2 CPU cores it made no measurable difference.)"""

    def __init__(self, in_channels: int, out_channels: int, mask: torch.Tensor):
        super().__init__()
        if not mask.any():
            raise ValueError("the mask is all zeros: the convolution would see nothing")
        kh, kw = mask.shape
        self.register_buffer("mask", mask.clone().float(), persistent=False)  # (kH, kW)
        conv = nn.Conv2d(in_channels, out_channels, (kh, kw))  # for PyTorch's default initialisation
        self.weight = nn.Parameter(conv.weight.detach() * self.mask)  # (C_out, C_in, kH, kW)
        self.bias = nn.Parameter(conv.bias.detach())  # (C_out,)
        self.padding = (kh // 2, kw // 2)

    @classmethod
    def causal(cls, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
               mask_type: str, mask_fn: Callable[..., torch.Tensor] | None = None) -> MaskedConv2d:
        """A PixelCNN layer: `mask_fn(kernel_size, mask_type)` (default `causal_mask`) masks it."""
        return cls(in_channels, out_channels, (mask_fn or causal_mask)(kernel_size, mask_type))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


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
# Fast generation: cache every layer's activations (Ramachandran et al. 2017)
# ---------------------------------------------------------------------------------------------
# A plain pass per pixel recomputes all 784 positions of every layer, though only one input pixel
# changed. A causal layer's output at (r, c) depends only on its input at and before (r, c), so
# once computed it never changes: the samplers below keep every layer's output maps and compute,
# for each new pixel, only that pixel's position in every layer, from a window of the layer below.
# P. Ramachandran et al. (2017). Fast Generation for Convolutional Autoregressive Models.
# arXiv:1704.06001.

def conv_at(conv: MaskedConv2d, inputs: torch.Tensor, row: int, col: int,
            before: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """conv(before(inputs)) at the one position (row, col): (B, C_in, H, W) -> (B, C_out).
    Reads only rows up to `row`, so rows below may hold anything; `before` is an activation with
    before(0) = 0 (ReLU), applied to the window only."""
    kh, kw = conv.mask.shape
    window = _window(inputs, row, col, kh, kw)  # (B, C_in, kh, kw)
    if before is not None:
        window = before(window)
    return F.linear(window.flatten(1), (conv.weight * conv.mask).flatten(1), conv.bias)


def conv_row(conv: MaskedConv2d, inputs: torch.Tensor, row: int) -> torch.Tensor:
    """conv(inputs) along one whole row, for masks that keep nothing right of centre in rows at
    or below `row` that matter (the vertical stack): (B, C_in, H, W) -> (B, C_out, W)."""
    kh, kw = conv.mask.shape
    top = row - kh // 2
    rows = F.pad(inputs[:, :, max(top, 0):row + 1], (kw // 2, kw // 2, max(-top, 0), kh // 2))
    return F.conv2d(rows, conv.weight * conv.mask, conv.bias)[:, :, 0]  # (B, C_out, W)


def _window(inputs: torch.Tensor, row: int, col: int, kh: int, kw: int) -> torch.Tensor:
    """The (kh, kw) window of inputs centred on (row, col), zero outside the image and below `row`."""
    top, left = row - kh // 2, col - kw // 2
    width = inputs.shape[-1]
    part = inputs[:, :, max(top, 0):row + 1, max(left, 0):min(col + kw // 2 + 1, width)]
    return F.pad(part, (max(-left, 0), max(col + kw // 2 + 1 - width, 0), max(-top, 0), kh // 2))


def pointwise(layer: nn.Conv2d, features: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution at one position: (B, C_in) -> (B, C_out)."""
    return F.linear(features, layer.weight.flatten(1), layer.bias)


def head_at(head: nn.Sequential, features: torch.Tensor) -> torch.Tensor:
    """The output head (ReLU, 1x1, ReLU, 1x1) at one position: (B, C) -> (B,) logits."""
    _, first, _, last = head
    return pointwise(last, F.relu(pointwise(first, F.relu(features))))[:, 0]


# ---------------------------------------------------------------------------------------------
# What every pixel model shares: the likelihood and the sampler
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
        return -bernoulli_nll(self.logits(x), x)

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


# ---------------------------------------------------------------------------------------------
# PixelCNN
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PixelCNNConfig:
    channels: int = 32  # feature maps in every layer; sized for 2 CPU cores
    num_blocks: int = 6  # residual blocks, each with one 3x3 type-B conv; paper: 15 layers
    first_kernel: int = 7  # the type-A layer, as in the paper
    head_channels: int = 32  # the two 1x1 layers before the output logit


class ResidualBlock(nn.Module):
    """x + 1x1(ReLU(masked 3x3 B(ReLU(x)))): one step of depth, one more row of context."""

    def __init__(self, channels: int, mask_fn: Callable[..., torch.Tensor] = causal_mask):
        super().__init__()
        self.conv = MaskedConv2d.causal(channels, channels, 3, "B", mask_fn)
        self.project = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.project(F.relu(self.conv(F.relu(x))))


def output_head(channels: int, head_channels: int) -> nn.Sequential:
    """ReLU, 1x1, ReLU, 1x1 -> one Bernoulli logit per pixel. 1x1 layers look at one position, so
    they keep the causal structure of their input."""
    return nn.Sequential(nn.ReLU(), nn.Conv2d(channels, head_channels, 1), nn.ReLU(),
                         nn.Conv2d(head_channels, 1, 1))


class PixelCNN(AutoregressiveImageModel):
    """Type-A 7x7 masked conv, residual blocks of type-B 3x3 masked convs, a 1x1 head.
    Output (r, c) sees a triangle-ish region above and to the left, with a blind spot to the
    upper right that grows with depth (van den Oord et al. 2016b, Fig. 1)."""

    def __init__(self, config: PixelCNNConfig = PixelCNNConfig(),
                 mask_fn: Callable[..., torch.Tensor] = causal_mask):
        """mask_fn(kernel_size, mask_type) makes every mask (notebook 03's exercise passes its own)."""
        super().__init__()
        self.config = config
        self.first = MaskedConv2d.causal(1, config.channels, config.first_kernel, "A", mask_fn)
        self.blocks = nn.Sequential(*[ResidualBlock(config.channels, mask_fn)
                                      for _ in range(config.num_blocks)])
        self.head = output_head(config.channels, config.head_channels)
        self.rows_above = config.first_kernel // 2 + config.num_blocks  # each 3x3 adds one row

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.feature_maps(x)[-1])  # (B, 1, H, W)

    def feature_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of the first layer and of every block: (B, C, H, W) each."""
        maps = [self.first(x)]
        for block in self.blocks:
            maps.append(block(maps[-1]))
        return maps

    def _draw_fast(self, x: torch.Tensor, uniform: torch.Tensor, start: int) -> Samples:
        """Cached generation: each new pixel computes its one position in every layer."""
        probs = torch.zeros_like(x)
        maps = self.feature_maps(x)  # right at every position before `start`; the rest is rewritten
        width = x.shape[-1]
        for i in range(start, x.shape[-2] * width):
            row, col = divmod(i, width)
            h = conv_at(self.first, x, row, col)  # (B, C)
            maps[0][:, :, row, col] = h
            for block, below, out in zip(self.blocks, maps[:-1], maps[1:]):
                inner = conv_at(block.conv, below, row, col, before=F.relu)  # (B, C)
                h = h + pointwise(block.project, F.relu(inner))
                out[:, :, row, col] = h
            p = torch.sigmoid(head_at(self.head, h))  # (B,)
            probs[:, 0, row, col] = p
            x[:, 0, row, col] = (uniform[:, i] < p).float()
        return Samples(x, probs)


# ---------------------------------------------------------------------------------------------
# Gated PixelCNN
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GatedPixelCNNConfig:
    channels: int = 24  # C per stack; each masked conv makes 2C (the two halves of the gate)
    num_layers: int = 5  # gated layers after the first; paper: 15 in total
    first_kernel: int = 7  # k of the first layer's stacks
    kernel: int = 3  # k of later layers; paper: 5 (a 3 is cheaper on a CPU)
    head_channels: int = 32


def gate(features: torch.Tensor) -> torch.Tensor:
    """tanh(W_f * x) ⊙ sigmoid(W_g * x): the gated activation (van den Oord et al. 2016b, eq. 2),
    with the two convolutions stacked along channels: (B, 2C, H, W) -> (B, C, H, W)."""
    f, g = features.chunk(2, dim=1)
    return torch.tanh(f) * torch.sigmoid(g)


class GatedLayer(nn.Module):
    """One gated layer with a vertical stack (rows above, full width) and a horizontal stack
    (the current row, left of the pixel). The vertical stack feeds the horizontal one, never the
    other way round: that is what keeps the vertical stack free of the current row.

    In the first layer both stacks exclude the centre: v sees rows strictly above, h the pixels
    strictly left. Later layers include the centre, which by then depends only on earlier pixels."""

    def __init__(self, in_channels: int, channels: int, kernel: int, first: bool):
        super().__init__()
        self.first = first
        self.vertical = MaskedConv2d(in_channels, 2 * channels, vertical_mask(kernel, not first))
        self.horizontal = MaskedConv2d(in_channels, 2 * channels,
                                       horizontal_mask(kernel, not first))
        self.vertical_to_horizontal = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.horizontal_out = nn.Conv2d(channels, channels, 1)

    def forward(self, v: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v_features = self.vertical(v)  # (B, 2C, H, W): rows above only, by induction
        h_features = self.horizontal(h) + self.vertical_to_horizontal(v_features)
        h_out = self.horizontal_out(gate(h_features))  # (B, C, H, W)
        v_out = gate(v_features)
        return v_out, (h_out if self.first else h + h_out)  # residual on h only


class GatedPixelCNN(AutoregressiveImageModel):
    """Gated PixelCNN (van den Oord et al. 2016b): the blind spot is gone, because the vertical
    stack covers every row above at full width and the horizontal stack the row to the left."""

    def __init__(self, config: GatedPixelCNNConfig = GatedPixelCNNConfig()):
        super().__init__()
        self.config = config
        self.layers = nn.ModuleList(
            [GatedLayer(1, config.channels, config.first_kernel, first=True)]
            + [GatedLayer(config.channels, config.channels, config.kernel, first=False)
               for _ in range(config.num_layers)])
        self.head = output_head(config.channels, config.head_channels)
        self.rows_above = config.first_kernel // 2 + config.num_layers * (config.kernel // 2)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        v, h = x, x
        for layer in self.layers:
            v, h = layer(v, h)  # (B, C, H, W) each
        return self.head(h)  # (B, 1, H, W)

    def _draw_fast(self, x: torch.Tensor, uniform: torch.Tensor, start: int) -> Samples:
        """Cached generation. The vertical stack at row r sees only rows above, so it is computed
        once per row, for the whole row; the horizontal stack then costs one position per layer
        for each pixel."""
        probs = torch.zeros_like(x)
        vs, hs, v_features = [x], [x], []  # each layer's outputs, and its vertical features
        for layer in self.layers:  # right at every position before `start`
            v_features.append(layer.vertical(vs[-1]))
            v, h = layer(vs[-1], hs[-1])
            vs.append(v)
            hs.append(h)
        width = x.shape[-1]
        for i in range(start, x.shape[-2] * width):
            row, col = divmod(i, width)
            if col == 0:  # a new row: the vertical stack, from the finished rows above
                for j, layer in enumerate(self.layers):
                    v_features[j][:, :, row] = conv_row(layer.vertical, vs[j], row)
                    vs[j + 1][:, :, row] = gate(v_features[j][:, :, row])
            for j, layer in enumerate(self.layers):
                features = conv_at(layer.horizontal, hs[j], row, col) + pointwise(
                    layer.vertical_to_horizontal, v_features[j][:, :, row, col])  # (B, 2C)
                h = pointwise(layer.horizontal_out, gate(features))  # (B, C)
                hs[j + 1][:, :, row, col] = h if layer.first else hs[j][:, :, row, col] + h
            p = torch.sigmoid(head_at(self.head, hs[-1][:, :, row, col]))  # (B,)
            probs[:, 0, row, col] = p
            x[:, 0, row, col] = (uniform[:, i] < p).float()
        return Samples(x, probs)
