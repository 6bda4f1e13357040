"""Assignment 03 · a PixelCNN of your own: the student writes a masked convolution layer and a
PixelCNN stacked from it, with its exact negative log-likelihood; the check measures causality by
gradients (before training, after fresh weights and after training), probes the loss on confident
logits, trains the model with the course's `fit` on the shipped digits and judges its test NLL.

The model the student writes (notebook 03):

    class MyMaskedConv2d(nn.Conv2d): ...    # conv2d with weight * mask, type "A" or "B"
    class MyPixelCNN(nn.Module):
        def __init__(self): ...             # a 7x7 type-A layer, then 3x3 type-B layers
        def logits(self, x): ...            # (B, 1, 28, 28) in {0, 1} -> logits of p(x_i = 1 | x_<i)
        def loss(self, x): ...              # -log p(x) per digit in nats, averaged over the batch

Thresholds were set from runs of the reference answer below over three seeds of the check, with a
margin (each constant says what those runs measured); tests/test_assignment_pixelcnn.py shows an
independently written model passing and tests/test_exercises.py each usual mistake failing.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..config import isolated_seed
from ..data import TensorLoader, binarize_dynamic, load_binarized_test, load_digits
from ..models import pixelcnn as library
from ..train import fit
from . import NOT_ANSWERED
from .assignments import Measured, assignment, build_model, describe
from .logit_probes import bernoulli_nll, close, fixed_logits_problem

NUM_EPOCHS, BATCH_SIZE, LR = 2, 64, 3e-3  # 250 Adam steps over the 8,000 shipped digits
MAX_TEST_NLL = 115.0  # nats per test digit; correct answers: 100.5-101.2 on seeds 0-2; independent pixels: 206
PROBES = ((0, 5), (9, 14), (14, 14), (20, 3), (27, 27))  # (row, col) outputs whose inputs are traced


class _ReferenceMaskedConv2d(nn.Conv2d):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        mask = torch.ones(kernel_size, kernel_size)
        centre = kernel_size // 2
        mask[centre, centre + (mask_type == "B"):] = 0  # the centre (type A) and right of it
        mask[centre + 1:] = 0  # the rows below
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class ReferencePixelCNN(nn.Module):
    """lecturelib's own answer (the tests also use an independent one)."""

    masked_conv = _ReferenceMaskedConv2d

    def __init__(self):
        super().__init__()
        layers = [self.masked_conv(1, 16, 7, "A"), nn.ReLU()]
        for _ in range(4):
            layers += [self.masked_conv(16, 16, 3, "B"), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.Conv2d(16, 1, 1))  # a 1x1 layer sees only its own position

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(self.logits(x), x, reduction="none").sum((1, 2, 3)).mean()


def causality_problem(model: nn.Module, generator: torch.Generator, when: str) -> str | None:
    """Trace which input pixels a few outputs depend on, by gradients: none at or after the output
    in raster order (causality), and every earlier pixel within a 3x3 neighbourhood above-left."""
    x = torch.bernoulli(torch.full((1, 1, 28, 28), 0.5), generator=generator)
    for row, col in PROBES:
        seen = library.dependency_map(model.logits, row, col, x) > 0
        where = f"{when}, the logit of pixel ({row}, {col})"
        if seen[row + 1:].any():
            return (f"your model sees rows below: {where} depends on rows below it, which come later. "
                    "The mask must hide every row below the centre.")
        if seen[row, col + 1:].any():
            return (f"your model sees pixels to the right: {where} depends on pixels right of it in its row, "
                    "which come later. The mask must hide the centre row right of the centre.")
        if seen[row, col]:
            return (f"your model sees the pixel it predicts: {where} depends on that pixel itself, so it "
                    "would be told the answer. The first layer's mask must hide the centre (type A).")
        near = [(r, c) for r in range(row - 1, row + 1) for c in range(col - 1, col + 2)
                if 0 <= r and 0 <= c < 28 and (r, c) < (row, col)]
        if near and not all(seen[r, c] for r, c in near):
            return (f"your model misses its nearest earlier neighbours: {where} does not depend on the pixel "
                    "to its left or the three above it. The mask hides too much.")
    return None


def _structure_problem(model: nn.Module, generator: torch.Generator) -> str | None:
    if not all(callable(getattr(model, m, None)) for m in ("logits", "loss")):
        return "your model needs two methods, `logits(x)` and `loss(x)`"
    if any(isinstance(m, (library.MaskedConv2d,)) for m in model.modules()):
        return "build the masked layers yourself (MyMaskedConv2d), not from lecturelib's MaskedConv2d"
    x = torch.bernoulli(torch.full((3, 1, 28, 28), 0.5), generator=generator)
    logits = model.logits(x)
    if logits is None:
        return NOT_ANSWERED
    if not isinstance(logits, torch.Tensor) or logits.shape != (3, 1, 28, 28):
        return f"`logits(x)` should map digits (3, 1, 28, 28) to logits (3, 1, 28, 28); got {describe(logits)}"
    return None


def _loss_problem(model: nn.Module, generator: torch.Generator) -> str | None:
    """The student's loss with `logits` replaced by fixed ones: moderate, then confident (+-40,
    mostly right, some confidently wrong), against the check's own chain rule."""
    x = torch.bernoulli(torch.full((6, 1, 28, 28), 0.3), generator=generator)
    return fixed_logits_problem(
        model, "logits", x, generator, "the model",
        averaged="your loss averages over the pixels: -log p(x) is the sum of the 784 pixels' terms (the chain rule)",
        wrong=_wrong_loss)


def _wrong_loss(value: float, want: float) -> str:
    """The student's loss `value` where -log p(x) is `want`, at moderate logits."""
    if close(value, -want):
        return "your loss is log p(x), to be maximised: `fit` minimises, so return -log p(x)"
    return (f"your loss gives {value:.2f} where -log p(x) by the chain rule, summed over the "
            f"pixels and averaged over the batch, gives {want:.2f}")


def _scramble(model: nn.Module, generator: torch.Generator) -> None:
    """Fresh random weights in every layer, as training would change them: a mask that lives only
    in the initial weights does not survive this."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(0.1 * torch.randn(parameter.shape, generator=generator))


def train_and_measure(answer: Any, generator: torch.Generator, progress: bool = False) -> tuple[nn.Module, float]:
    """Build the answer's model, train it with `fit` on the shipped digits binarized afresh every
    batch, and return it with its NLL per test digit (the check's own chain rule)."""
    x_train, _ = load_digits("train")
    x_test, _ = load_binarized_test()
    with isolated_seed(int(torch.randint(2**31, (1,), generator=generator))):  # the answer's own draws
        model = answer()
        loader = TensorLoader(x_train, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
        with torch.enable_grad():
            fit(model, loader, num_epochs=NUM_EPOCHS, lr=LR, progress=progress, desc="your PixelCNN",
                loss_fn=lambda m, batch: m.loss(binarize_dynamic(batch[0], generator)))
    model.eval()
    with torch.no_grad():
        nll = torch.cat([bernoulli_nll(model.logits(x), x) for x in x_test.split(500)]).mean().item()
    return model, nll


_measured = Measured(f"trained with `fit` for {NUM_EPOCHS} epochs on 8,000 digits")


def _test(answer: Any, generator: torch.Generator) -> str | None:
    with isolated_seed(0):  # the untrained model's weights, for the probes
        model, problem = build_model(answer, example="MyPixelCNN")
    problem = (problem or _structure_problem(model, generator) or causality_problem(model, generator, "untrained")
               or _loss_problem(model, generator))
    if problem is not None:
        return problem
    _scramble(model, generator)
    problem = causality_problem(model, generator, "with fresh weights (as training changes them)")
    if problem is not None:
        return ("your mask does not survive new weights: " + problem + " Apply the mask in `forward`, on "
                "every call, not once to the initial weights.")
    model, nll = train_and_measure(answer, generator, progress=True)
    if not nll < MAX_TEST_NLL:  # nan fails too
        return (f"your trained PixelCNN scores the test digits at {nll:.1f} nats each; a correct one stays under "
                f"{MAX_TEST_NLL:.0f} after the same training (independent pixels: 206). Are there non-linearities "
                "between the masked layers, and does each layer see what its mask allows?")
    problem = causality_problem(model, generator, "after training")
    if problem is not None:
        return problem
    _measured.keep(answer, f"{nll:.1f} nats per test digit (independent pixels: 206), causal before and after training")
    return None


class _TypeBFirst(ReferencePixelCNN):  # the first layer keeps the centre: each output sees its own pixel
    diagnosis = "your model sees the pixel it predicts"

    def __init__(self):
        super().__init__()
        self.net[0].mask[3, 3] = 1


class _RightOfCentre(ReferencePixelCNN):  # the centre row is masked from the centre only, not right of it
    diagnosis = "your model sees pixels to the right"

    class masked_conv(_ReferenceMaskedConv2d):
        def __init__(self, *args):
            super().__init__(*args)
            k = self.mask.shape[0]
            self.mask[k // 2, k // 2 + 1:] = 1


class _MaskedOnce(ReferencePixelCNN):  # the mask multiplied into the initial weights, never again
    diagnosis = "your mask does not survive new weights"

    class masked_conv(_ReferenceMaskedConv2d):
        def __init__(self, *args):
            super().__init__(*args)
            with torch.no_grad():
                self.weight *= self.mask

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.conv2d(x, self.weight, self.bias, padding=self.padding)


class _ThroughProbabilities(ReferencePixelCNN):  # right in exact arithmetic, -inf in float32
    diagnosis = "your loss is inf or nan when the model is confident"

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(self.logits(x))
        return -(x * p.log() + (1 - x) * (1 - p).log()).sum((1, 2, 3)).mean()


class _LogLikelihood(ReferencePixelCNN):  # log p(x), which fit would maximise... by minimising it
    diagnosis = "your loss is log p(x), to be maximised"

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return -super().loss(x)


# it trains a model: about 20 s on 2 idle cores, a few minutes on a busy laptop
pixelcnn_model = assignment("03 assignment · a PixelCNN of your own",
                            test=_test, solution=ReferencePixelCNN, measured=_measured,
                            mistakes=(_TypeBFirst, _RightOfCentre, _MaskedOnce, _ThroughProbabilities, _LogLikelihood))
