"""Exercises of notebook 00: bits per dimension, the closed-form fit of independent pixels, and a
model with one parameter."""

from __future__ import annotations

import math

from typing import Iterator

import torch

from ..data import load_binarized_test, load_digits
from ..metrics import bits_per_dim as reference_bits_per_dim
from ..models.baselines import PIXEL_CLIP, IndependentPixels
from ..models.likelihood import bernoulli_nll
from . import Case, Exercise

# ---------------------------------------------------------------------------------------------
# 00.1 · bits per dimension
# ---------------------------------------------------------------------------------------------


def _bits_cases(generator: torch.Generator) -> list[Case]:
    nats = (torch.rand(3, generator=generator) * 300 + 20).tolist()
    return [Case(f"{n:.1f} nats, {d} dimensions", (n, d)) for n, d in zip(nats, (784, 3 * 32 * 32, 1))]


def _use_bits(answer, nll_nats: float | None = None) -> str:
    shown = f"the trained model's {nll_nats:.1f} nats per digit are {answer(nll_nats, 784):.3f} bits/dim; " if nll_nats else ""
    return shown + f"a fair coin per pixel, 784 ln 2 nats, is {answer(784 * math.log(2), 784):.3f} bit/dim."


bits_per_dim = Exercise(
    name="00.1 · bits per dimension",
    reference=reference_bits_per_dim,
    cases=_bits_cases,
    mistakes={
        "that is nats per dimension: divide by ln 2 as well (a bit is ln 2 nats).":
            lambda nats, dims: nats / dims,
        "that is bits per image: divide by the number of dimensions too.":
            lambda nats, dims: nats / math.log(2),
        "multiplied by ln 2 instead of dividing: nats -> bits divides by ln 2 = 0.693.":
            lambda nats, dims: nats * math.log(2) / dims,
        "used log base 10: a bit is ln 2 nats, not ln 10.":
            lambda nats, dims: nats / (dims * math.log(10)),
    },
    hint="two changes of unit: from nats to bits (one bit is ln 2 nats), and from a whole digit to one "
         "dimension.",
    use=_use_bits,
)

# ---------------------------------------------------------------------------------------------
# 00.2 · the maximum-likelihood fit of independent pixels, in closed form
# ---------------------------------------------------------------------------------------------


def _probability_cases(generator: torch.Generator) -> Iterator[Case]:
    for n, (h, w) in ((50, (28, 28)), (7, (5, 3)), (300, (4, 4))):
        grey = torch.rand(n, 1, h, w, generator=generator)
        grey[:, :, 0, 0] = 0  # a pixel never on: the clip matters
        yield Case(f"{n} images of {h}x{w}", (grey,))


def _reference_probabilities(x_train: torch.Tensor) -> torch.Tensor:
    return IndependentPixels(x_train).probs.detach()


def _use_probabilities(answer) -> str:
    x_train, _ = load_digits("train")
    x_test = load_binarized_test().x
    probs = answer(x_train)
    nll = bernoulli_nll(torch.logit(probs).expand_as(x_test), x_test).mean().item()
    return f"your p_i give the test digits {nll:.2f} nats each, the baseline of notebook 03 and the recap."


pixel_probabilities = Exercise(
    name="00.2 · the closed-form fit",
    reference=_reference_probabilities,
    cases=_probability_cases,
    mistakes={
        "a pixel that is never on gets p = 0 (and a test digit with ink there an infinite NLL): "
        f"clip p to [{PIXEL_CLIP}, 1 - {PIXEL_CLIP}].":
            lambda x: x.mean(0),
        "averaged over the pixels too: p_i is one number per pixel, the mean over the digits (dim 0).":
            lambda x: x.mean().clamp(PIXEL_CLIP, 1 - PIXEL_CLIP).expand_as(x[0]),
        "the logits, not the probabilities: return p_i itself.":
            lambda x: torch.logit(x.mean(0).clamp(PIXEL_CLIP, 1 - PIXEL_CLIP)),
    },
    hint="the maximum-likelihood probability of a coin is the fraction of its heads; keep it away from "
         "0 and 1 (the notebook's clip), or an unseen value costs infinitely many nats.",
    use=_use_probabilities,
)

# ---------------------------------------------------------------------------------------------
# 00.3 · a model with a single parameter
# ---------------------------------------------------------------------------------------------


def _shared_cases(generator: torch.Generator) -> Iterator[Case]:
    for n_train, n_test, side in ((200, 30, 28), (40, 9, 6), (500, 3, 4)):
        grey = torch.rand(n_train, 1, side, side, generator=generator) ** 3
        binary = torch.bernoulli(torch.rand(n_test, 1, side, side, generator=generator) ** 3, generator=generator)
        yield Case(f"{n_train} training, {n_test} test images of {side}x{side}", (grey, binary))


def _shared_nll(x_train: torch.Tensor, x_test: torch.Tensor) -> torch.Tensor:
    p = x_train.mean()
    return -(x_test * p.log() + (1 - x_test) * (1 - p).log()).flatten(1).sum(1).mean()


def _use_shared(answer, nll_independent: float | None = None) -> str:
    x_train, _ = load_digits("train")
    shared = float(answer(x_train, load_binarized_test().x))
    more = f"; 784 probabilities (your trained model): {nll_independent:.1f} nats" if nll_independent else ""
    return f"one probability for every pixel: {shared:.1f} nats per test digit{more}."


shared_probability = Exercise(
    name="00.3 · one probability for every pixel",
    reference=_shared_nll,
    cases=_shared_cases,
    mistakes={
        "only the pixels that are on cost something here: an off pixel costs -log(1 - p).":
            lambda x_train, x_test: -(x_test * x_train.mean().log()).flatten(1).sum(1).mean(),
        "averaged over the pixels: the NLL of a digit is the sum over its pixels.":
            lambda x_train, x_test: _shared_nll(x_train, x_test) / x_test[0].numel(),
        "p was fitted on the test digits: fit it on the training digits only.":
            lambda x_train, x_test: _shared_nll(x_test, x_test),
    },
    hint="one probability for every pixel, fitted on the training digits; an on pixel and an off pixel "
         "each cost their own -log; a digit's NLL is the total over its pixels.",
    use=_use_shared,
)
