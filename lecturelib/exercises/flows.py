"""Exercises of notebook 07: a flow's log-density from z and its log-determinant (then put to work
on the shipped flow), an affine coupling layer (then stacked and checked against autograd), the
bits/dim of the dequantization bound, and which model needs dequantization."""

from __future__ import annotations

import math
from typing import Callable, Iterator

import torch

from ..data import load_digits
from ..metrics import bits_per_dim
from ..models.checks import LEVELS
from ..recipes import load_pretrained
from . import Case, Exercise, Question, randn, sizes

# ---------------------------------------------------------------------------------------------
# 07.1 · the change of variables: log p(x) from z = f(x) and log|det df/dx|
# ---------------------------------------------------------------------------------------------


def _log_prob(z: torch.Tensor, log_det: torch.Tensor) -> torch.Tensor:
    return -0.5 * z.pow(2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi) + log_det


def _log_prob_cases(generator: torch.Generator) -> Iterator[Case]:
    for b, d, scale in ((sizes(generator, 2, 9), sizes(generator, 2, 6), 1.0), (sizes(generator, 20, 40), 784, 1.0),
                        (5, 3, 20.0)):  # the last: far in the tails, where exp(-z^2 / 2) is 0 in float32
        yield Case(f"z of shape ({b}, {d}){' far in the tails' if scale > 1 else ''}, log_det of shape ({b},)",
                   (scale * randn(generator, b, d), 10 * randn(generator, b)))


def _use_log_prob(answer) -> str:
    """The answer on the shipped flow's z and log-determinant of 200 test digits, against its own log_density."""
    flow = load_pretrained("flow")
    x = load_digits("test").x[:200]
    u = torch.rand(x.shape, generator=torch.Generator().manual_seed(0))  # one draw per pixel
    v = ((x * 255).round() + u) / LEVELS  # dequantized
    with torch.no_grad():
        z, log_det = flow(v)
        yours, its = answer(z, log_det), flow.log_density(v)
    gap = (yours - its).abs().max().item()
    bound = bits_per_dim(-(yours.mean().item() - 784 * math.log(LEVELS)))
    return (f"on the shipped flow's z and log-determinant of 200 dequantized test digits, your log p(v) equals "
            f"the flow's own to {gap:.1e} nats; the bound it gives: {bound:.3f} bits/dim.")


flow_log_prob = Exercise(
    name="07.1 · log p(x) by the change of variables",
    reference=_log_prob,
    cases=_log_prob_cases,
    mistakes={
        "you subtracted the log-determinant: with z = f(x), p(x) = p(z) |det df/dx|, so it is added.":
            lambda z, ld: -0.5 * z.pow(2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi) - ld,
        "the normal's constant -D/2 log(2 pi) is missing (D = z.shape[1]): without it, it is not a density.":
            lambda z, ld: -0.5 * z.pow(2).sum(1) + ld,
        "the square needs its 1/2: log N(z; 0, 1) = -z^2 / 2 - log(2 pi) / 2 per dimension.":
            lambda z, ld: -z.pow(2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi) + ld,
        "you averaged over the dimensions: the log-density of independent dimensions is their sum.":
            lambda z, ld: -0.5 * z.pow(2).mean(1) - 0.5 * math.log(2 * math.pi) + ld,
    },
    hint="log p(x) = log N(z; 0, I) + log|det df/dx|, summed over the D dimensions of z, and computed "
         "in the log domain (exp(-z^2 / 2) is 0 in float32 for |z| > 14).",
    use=_use_log_prob,
    rtol=1e-4, atol=1e-3,
)

# ---------------------------------------------------------------------------------------------
# 07.2 · an affine coupling layer
# ---------------------------------------------------------------------------------------------


def _coupling(x: torch.Tensor, mask: torch.Tensor, net: Callable) -> tuple[torch.Tensor, torch.Tensor]:
    free = 1 - mask
    s, t = net(x * mask)
    s, t = s * free, t * free
    return x * s.exp() + t, s.sum(1)


def _random_net(generator: torch.Generator, d: int) -> Callable:
    """A fixed random (s, t) network of the kept values: (B, D) -> two (B, D)."""
    a, b = randn(generator, d, d) / d ** 0.5, randn(generator, d, d) / d ** 0.5
    return lambda h: (torch.tanh(h @ a), h @ b)


def _mask(generator: torch.Generator, d: int) -> torch.Tensor:
    mask = torch.zeros(d)
    mask[torch.randperm(d, generator=generator)[:d // 2]] = 1
    return mask


def _coupling_cases(generator: torch.Generator) -> Iterator[Case]:
    for b, d in ((sizes(generator, 2, 9), 2), (sizes(generator, 20, 40), sizes(generator, 4, 12)), (1, 6)):
        yield Case(f"x of shape ({b}, {d}), a mask of {d} zeros and ones, net(h) -> (s, t)",
                   (randn(generator, b, d), _mask(generator, d), _random_net(generator, d)))


def _use_coupling(answer) -> str:
    """Four of the answer's couplings, masks alternating, on 8-D points: the inverse and autograd."""
    generator = torch.Generator().manual_seed(0)
    d = 8
    mask = (torch.arange(d) % 2).float()
    layers = [(mask if i % 2 else 1 - mask, _random_net(generator, d)) for i in range(4)]

    def forward(x):
        total = torch.zeros(len(x))
        for m, net in layers:
            x, log_det = answer(x, m, net)
            total = total + log_det
        return x, total

    x = randn(generator, 500, d)
    z, log_det = forward(x)
    back = z
    for m, net in reversed(layers):  # each coupling undone from the values it kept
        s, t = net(back * m)
        back = m * back + (1 - m) * (back - t) * (-s).exp()
    jacobians = torch.stack([torch.autograd.functional.jacobian(lambda p: forward(p[None])[0][0], point) for point in x[:20]])
    gap = (torch.linalg.slogdet(jacobians).logabsdet - log_det[:20]).abs().max().item()
    return (f"four of your couplings stacked (masks alternating, 8-D): undone layer by layer, 500 points come back "
            f"to {(back - x).abs().max().item():.1e}; the log-determinant equals autograd's log|det| of the "
            f"8 x 8 Jacobian to {gap:.1e} on 20 points.")


coupling = Exercise(
    name="07.2 · an affine coupling layer",
    reference=_coupling,
    cases=_coupling_cases,
    mistakes={
        "the network saw the whole x: it may see only the kept values, x * mask, or the layer cannot be undone.":
            lambda x, m, net: (lambda s, t: (m * x + (1 - m) * (x * s.exp() + t), ((1 - m) * s).sum(1)))(*net(x)),
        "your log-determinant also counts s where the mask keeps x: only the moved values (1 - mask) are scaled.":
            lambda x, m, net: (lambda s, t: (m * x + (1 - m) * (x * s.exp() + t), s.sum(1)))(*net(x * m)),
        "the kept values were scaled too: they pass unchanged, z = mask * x + (1 - mask) * (x * exp(s) + t).":
            lambda x, m, net: (lambda s, t: (x * s.exp() + t, s.sum(1)))(*net(x * m)),
        "your log-determinant sums exp(s): the Jacobian's diagonal is exp(s), so its log is s.":
            lambda x, m, net: (lambda s, t: (m * x + (1 - m) * (x * s.exp() + t), ((1 - m) * s.exp()).sum(1)))(*net(x * m)),
    },
    hint="s, t = net(x * mask); z = mask * x + (1 - mask) * (x * exp(s) + t); the log-determinant is the "
         "sum of s over the moved values, per example.",
    use=_use_coupling,
)

# ---------------------------------------------------------------------------------------------
# 07.3 · bits/dim of the dequantization bound
# ---------------------------------------------------------------------------------------------


def _bits(log_density: torch.Tensor, num_dims: int) -> torch.Tensor:
    return -(log_density - num_dims * math.log(LEVELS)) / (num_dims * math.log(2))


def _bits_cases(generator: torch.Generator) -> Iterator[Case]:
    for b, d in ((sizes(generator, 2, 9), 784), (sizes(generator, 20, 40), sizes(generator, 10, 100)), (1, 3)):
        yield Case(f"log p(v) of shape ({b},), D = {d}", (d * (1 + randn(generator, b)), d))


def _use_bits(answer) -> str:
    flow = load_pretrained("flow")
    x = load_digits("test").x[:200]
    with torch.no_grad():
        log_density = flow.log_density(((x * 255).round() + torch.rand(x.shape, generator=torch.Generator().manual_seed(0))) / LEVELS)
    return (f"the shipped flow's log p(v) of 200 dequantized test digits: {log_density.mean().item():.0f} nats, "
            f"positive (a density on [0, 1]^784 may exceed 1); your bits/dim: {answer(log_density, 784).mean().item():.3f}.")


bits_per_dim_8bit = Exercise(
    name="07.3 · bits/dim of the dequantization bound",
    reference=_bits,
    cases=_bits_cases,
    mistakes={
        "the -D log 256 is missing: v lives in bins of width 1/256, so P(k) >= p(v) / 256^D; without it "
        "the bits/dim can come out negative.":
            lambda ld, d: -ld / (d * math.log(2)),
        "nats are not bits: divide by D ln 2, not by D.":
            lambda ld, d: -(ld - d * math.log(LEVELS)) / d,
        "+ D log 256 where it is - D log 256: the bin width 1/256 makes each pixel's probability smaller than its density.":
            lambda ld, d: -(ld + d * math.log(LEVELS)) / (d * math.log(2)),
        "the sign: bits/dim is the negative log-likelihood, positive for a probability.":
            lambda ld, d: (ld - d * math.log(LEVELS)) / (d * math.log(2)),
    },
    hint="log P(k) >= log p(v) - D log 256; bits/dim = -log P(k) / (D ln 2), per digit.",
    use=_use_bits,
)

# ---------------------------------------------------------------------------------------------
# 07.4 · who needs dequantization?
# ---------------------------------------------------------------------------------------------

needs_dequantization = Question.load("07.4")  # its text: questions.json
