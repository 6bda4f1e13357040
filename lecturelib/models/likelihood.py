"""The likelihood of binary pixels, shared by every explicit model of the course.

Independent pixels (notebook 00), the PixelCNN and PixelRNN (03, one Bernoulli per pixel given
the pixels before it) and the VAE's decoder (04, one Bernoulli per pixel given the code) all score
a binarized digit the same way: a logit per pixel, and the negative log-likelihood summed over the
pixels, in nats per digit.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .checks import require_binary


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor, *, checked: bool = False) -> torch.Tensor:
    """-log p(x | logits) = -sum_i [x_i log s_i + (1 - x_i) log(1 - s_i)], s = sigmoid(logits),
    per example: (B, C, H, W) -> (B,).

    x must be binary: a grey pixel has no Bernoulli likelihood, and the number computed for one
    would read like a likelihood without being one. checked=True: the caller has refused grey
    pixels already (a model's entry point, by `check_images(x, ..., BINARY)`, naming itself), so
    they are not looked for twice."""
    if not checked:
        require_binary(x, "bernoulli_nll")  # models.checks: also refuses NaN, naming it
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
