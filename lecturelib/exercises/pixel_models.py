"""Exercises of notebook 03: the causal mask, the sampling loop, the chain-rule log-likelihood,
and how far up a PixelCNN sees."""

from __future__ import annotations

import time

from typing import Callable, Iterator

import torch

from ..config import isolated_seed
from ..data import load_binarized_test
from ..models.pixelcnn import (PixelCNN, PixelCNNConfig, causal_mask as reference_mask, dependency_map,
                               sample_pixel_by_pixel)
from ..models.likelihood import bernoulli_nll
from ..checkpoints import load_log_likelihoods
from ..recipes import load_pretrained
from . import Case, Exercise

# ---------------------------------------------------------------------------------------------
# 03.1 · the causal mask
# ---------------------------------------------------------------------------------------------


def _mask_cases(generator: torch.Generator) -> list[Case]:
    return [Case(f"{k}x{k}, type {t}", (k, t)) for k, t in ((5, "A"), (3, "B"), (7, "B"), (7, "A"), (1, "B"))]


def _mask_without_rows_below(k: int, mask_type: str) -> torch.Tensor:
    mask = torch.ones(k, k)
    mask[k // 2, k // 2 + (mask_type == "B"):] = 0
    return mask


def _mask_without_right(k: int, mask_type: str) -> torch.Tensor:
    mask = torch.ones(k, k)
    mask[k // 2 + 1:] = 0
    if mask_type == "A":
        mask[k // 2, k // 2] = 0
    return mask


@isolated_seed(0)  # the initial weights and the input pixels
def _use_mask(answer) -> str:
    """A small PixelCNN built with the student's masks; causality checked by gradients."""
    model = PixelCNN(PixelCNNConfig(channels=8, num_blocks=3, head_channels=8), mask_fn=answer)
    side = 12
    x = torch.bernoulli(torch.full((1, 1, side, side), 0.5))
    leaks = 0
    for i in range(side * side):
        row, col = divmod(i, side)
        grad = dependency_map(model.logits, row, col, x, shape=(side, side)).flatten()
        leaks += int((grad[i:] != 0).any())
    if leaks:
        raise AssertionError(f"{leaks} outputs depend on their own pixel or later ones")
    return (f"a PixelCNN built with your masks (a 7x7 type A, then three 3x3 type B) is causal: at "
            f"every one of the {side * side} outputs of a {side}x{side} image, the gradient with "
            f"respect to its own pixel and every later one is exactly 0.")


causal_mask = Exercise(
    name="03.1 · the causal mask",
    reference=reference_mask,
    cases=_mask_cases,
    mistakes={
        "types A and B are swapped: type A (the first layer) hides the centre, type B keeps it.":
            lambda k, t: reference_mask(k, "B" if t == "A" else "A"),
        "the rows below the centre are still 1: an output may only see rows above and its own row.":
            _mask_without_rows_below,
        "the pixels right of the centre (in its own row) are still 1: they come later in raster order.":
            _mask_without_right,
    },
    hint="which pixels of the window come before the centre in raster order? Type A must not see the "
         "centre itself; type B may.",
    use=_use_mask,
)

# ---------------------------------------------------------------------------------------------
# 03.2 · the sampling loop
# ---------------------------------------------------------------------------------------------


def _sample_cases(generator: torch.Generator) -> Iterator[Case]:
    for n, (h, w) in ((3, (5, 5)), (2, (4, 6)), (5, (3, 3))):
        with isolated_seed(int(torch.randint(1000, (1,), generator=generator))):  # the initial weights
            model = PixelCNN(PixelCNNConfig(channels=4, num_blocks=1, head_channels=4)).eval()
        uniform = torch.rand(n, h * w, generator=generator)
        yield Case(f"{n} images of {h}x{w} from a small random PixelCNN", (model.logits, uniform, (h, w)))


def _reference_sample(logits_fn, uniform: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    with torch.no_grad():
        return sample_pixel_by_pixel(logits_fn, torch.zeros(len(uniform), 1, *shape), uniform).x


def _pixel_loop(position: Callable[[int, int, int], tuple[int, int]], probability: Callable):
    """A sampling loop as students write it: pixel i of an h x w image at `position(i, h, w)`, its
    coin with `probability(logit)`."""
    def sample(logits_fn, uniform, shape):
        h, w = shape
        x = torch.zeros(len(uniform), 1, h, w)
        with torch.no_grad():
            for i in range(h * w):
                row, col = position(i, h, w)
                x[:, 0, row, col] = (uniform[:, i] < probability(logits_fn(x)[:, 0, row, col])).float()
        return x
    return sample


_column_major = _pixel_loop(lambda i, h, w: divmod(i, h)[::-1], torch.sigmoid)  # (row, col) from col, row


def _inverted_coin(logits_fn, uniform, shape):
    with torch.no_grad():
        return sample_pixel_by_pixel(logits_fn, torch.zeros(len(uniform), 1, *shape), 1 - uniform).x


_logit_as_probability = _pixel_loop(lambda i, h, w: divmod(i, w), lambda logit: logit)  # no sigmoid


def _use_sample(answer) -> str:
    model = load_pretrained("pixelcnn")
    uniform = torch.rand(2, 784, generator=torch.Generator().manual_seed(0))  # what sample() draws
    start = time.perf_counter()
    with torch.no_grad():
        yours = answer(model.logits, uniform, (28, 28))
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    library = model.sample(2, generator=torch.Generator().manual_seed(0))  # the same u, fast sampler
    fast = time.perf_counter() - start
    same = "the same digits as" if torch.equal(yours, library) else "different digits from"
    return (f"your loop drew 2 digits from the shipped PixelCNN in {seconds:.1f} s (784 passes of the "
            f"network), {same} model.sample with the same numbers u, which took {fast:.1f} s.")


sample_loop = Exercise(
    name="03.2 · the sampling loop",
    reference=_reference_sample,
    cases=_sample_cases,
    mistakes={
        "the pixels were drawn column by column: the chain rule here runs in raster order, row by "
        "row, left to right (i -> row, col = divmod(i, W)).": _column_major,
        "the coin is inverted: the pixel is on when u < p, so that it is on with probability p.":
            _inverted_coin,
        "the logit was used as a probability: p = sigmoid(logit).": _logit_as_probability,
    },
    hint="the chain rule run forwards: pixels in raster order, one pass of the network for each, and a "
         "coin with that pixel's probability decided by its number u.",
    use=_use_sample,
)

# ---------------------------------------------------------------------------------------------
# 03.3 · the log-likelihood by the chain rule
# ---------------------------------------------------------------------------------------------


def _log_prob_cases(generator: torch.Generator) -> Iterator[Case]:
    for b, (h, w) in ((4, (28, 28)), (9, (5, 7)), (1, (3, 3))):
        logits = torch.randn(b, 1, h, w, generator=generator) * 3
        x = torch.bernoulli(torch.full((b, 1, h, w), 0.3), generator=generator)
        yield Case(f"{b} images of {h}x{w}", (logits, x))
    # confident logits, as a trained model gives them: in float32, 1 - sigmoid(20) is 0
    size = 20 + 100 * torch.rand(3, 1, 4, 4, generator=generator)
    logits = torch.randn(3, 1, 4, 4, generator=generator).sign() * size
    x = torch.bernoulli(torch.full((3, 1, 4, 4), 0.5), generator=generator)
    yield Case("3 images of 4x4 with logits of size 20 to 120", (logits, x))


def _log_of_sigmoid(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x) through the probabilities: right in exact arithmetic, -inf or nan in float32
    once |logit| is above about 17 (1 - sigmoid(l) rounds to 0) or 104 (sigmoid(l) does)."""
    p = torch.sigmoid(logits)
    return (x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)


def _chain_rule(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return -bernoulli_nll(logits, x)


def _use_log_prob(answer) -> str:
    """The answer on the shipped PixelCNN's logits for 500 test digits, against the per-digit
    log-likelihoods stored with the checkpoint (the manifest's NLL is their mean over all 2,000)."""
    model = load_pretrained("pixelcnn")
    x = load_binarized_test().x[:500]
    with torch.no_grad():
        nll = -answer(model.logits(x), x).mean().item()
    stored = -load_log_likelihoods("pixelcnn")["exact"][:500].mean().item()
    return (f"with the shipped PixelCNN's logits, your log p(x) gives the first 500 test digits "
            f"{nll:.2f} nats each; the values stored with the checkpoint give {stored:.2f}.")


chain_rule_log_prob = Exercise(
    name="03.3 · log p(x) by the chain rule",
    reference=_chain_rule,
    cases=_log_prob_cases,
    mistakes={
        "averaged over the pixels: log p(x) is the sum of the 784 log-probabilities.":
            lambda logits, x: -bernoulli_nll(logits, x) / x[0].numel(),
        "only the pixels that are on count here: an off pixel contributes log(1 - p).":
            lambda logits, x: (x * torch.nn.functional.logsigmoid(logits)).flatten(1).sum(1),
        "the sign is flipped: that is the negative log-likelihood.":
            lambda logits, x: bernoulli_nll(logits, x),
        "one number for the whole batch: return one log-likelihood per image, shape (B,).":
            lambda logits, x: -bernoulli_nll(logits, x).sum(),
        "log(sigmoid(logits)) and log(1 - sigmoid(logits)) break at confident logits: in float32 "
        "1 - sigmoid(20) is 0, and its log -inf. Stay in logits: F.logsigmoid(logits) and "
        "F.logsigmoid(-logits).": _log_of_sigmoid,
    },
    hint="each pixel adds the log-probability of the value it has, an on pixel and an off pixel each "
         "in its own way; stay in logits, where both logs have a stable form.",
    atol=1e-4,
    use=_use_log_prob,
)

# ---------------------------------------------------------------------------------------------
# 03.4 · how far up does a PixelCNN see?
# ---------------------------------------------------------------------------------------------


@isolated_seed(0)  # the initial weights
def _measured_rows_above(num_blocks: int) -> int:
    """Rows above the bottom row's middle pixel with a non-zero gradient, on a fresh PixelCNN."""
    model = PixelCNN(PixelCNNConfig(channels=16, num_blocks=num_blocks, head_channels=16))
    grad = dependency_map(model.logits, 27, 14, torch.ones(1, 1, 28, 28))
    return 27 - grad.nonzero()[:, 0].min().item()  # the highest row with a non-zero gradient


rows_above = Exercise(
    name="03.4 · how far up a PixelCNN sees",
    reference=_measured_rows_above,
    cases=lambda generator: [Case(f"n = {n} residual blocks", (n,)) for n in (0, 2, 5, 11)],
    mistakes={
        "each 3x3 layer adds one row, not two: its kernel reaches one row up.": lambda n: 3 + 2 * n,
        "the 7x7 first layer reaches 3 rows up (7 // 2), not 7.": lambda n: 7 + n,
        "the 7x7 first layer already sees 3 rows up: add them.": lambda n: n,
    },
    hint="trace it layer by layer: how many rows up does one k x k masked kernel reach?",
    use=lambda answer: _use_rows_above(answer),
)


def _use_rows_above(answer) -> str:
    blocks = load_pretrained("pixelcnn").config.num_blocks
    needed = next((n for n in range(40) if answer(n) >= 27), None)
    return (f"by your formula the shipped PixelCNN ({blocks} blocks) sees {answer(blocks)} rows up; to "
            f"see all 27 rows above the bottom row it would need {needed} blocks.")
