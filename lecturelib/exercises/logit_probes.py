"""What the assignments that score pixels by a Bernoulli likelihood (02, 03) share: the check's own
negative log-likelihood in float64, and the student's loss called with the model's logits replaced by
fixed ones, moderate and confident (+-40), where a loss that goes through probabilities breaks."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from . import NOT_ANSWERED
from .assignments import describe

CONFIDENT = 40.0  # |logit| of the confident probe: sigmoid(40) is exactly 1 in float32


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x | logits) per image, from its formula in float64, with log sigmoid(l) = -softplus(-l)
    (x may be grey levels in [0, 1]: then it is the cross-entropy)."""
    logits, x = logits.double(), x.double()
    return (x * F.softplus(-logits) + (1 - x) * F.softplus(logits)).flatten(1).sum(1)


def probe_logits(x: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Fixed logits for images x: moderate ones, confident ones (mostly right, some confidently
    wrong) and zeros."""
    moderate = 3 * torch.randn(x.shape, generator=generator)
    right = torch.rand(x.shape, generator=generator) < 0.8
    sign = torch.where(right, 2 * x.round() - 1, 1 - 2 * x.round())
    return {"moderate": moderate, "confident": CONFIDENT * sign, "zero": torch.zeros_like(x)}


def fixed_logits_problem(model: nn.Module, method: str, x: torch.Tensor, generator: torch.Generator, where: str,
                         averaged: str, wrong: Callable[[float, float], str]) -> str | None:
    """What is wrong with the student's loss, or None, with `model.<method>` returning each of
    probe_logits in turn, against the check's -log p: a loss that ignores the method, one that is inf
    or nan at confident logits, one that is wrong only there; at moderate logits, one averaged over
    the pixels instead of summed (the problem is then `averaged`), or else `wrong(loss, -log p)`."""
    values, expected = {}, {}
    try:
        for name, logits in probe_logits(x, generator).items():
            setattr(model, method, lambda *args, logits=logits: logits.clone().requires_grad_())
            loss = model.loss(x)
            if loss is None:
                return NOT_ANSWERED
            if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                return f"`loss(x)` should return one number (a scalar tensor), got {describe(loss)}"
            values[name], expected[name] = loss.detach().double().item(), bernoulli_nll(logits, x).mean().item()
    finally:
        if method in vars(model):
            delattr(model, method)  # the class's own method again
    if values["moderate"] == values["zero"]:
        return f"your loss does not depend on `{method}`: compute it from self.{method}(...) inside `loss`"
    if not all(map(torch.isfinite, torch.tensor(list(values.values())))):
        return (f"your loss is inf or nan when {where} is confident (logits of +-{CONFIDENT:g}): in float32 "
                "sigmoid(40) is exactly 1, and log(1 - 1) is -inf. Stay in logits: the log of a sigmoid has a "
                "stable form (F.logsigmoid, or the cross-entropy with logits).")
    near = {name: abs(values[name] - expected[name]) <= 1e-3 * abs(expected[name]) + 1e-3 for name in values}
    if near["moderate"] and not near["confident"]:
        return (f"your loss is right at moderate logits but wrong at confident ones (+-{CONFIDENT:g}): "
                f"{values['confident']:.1f} where -log p is {expected['confident']:.1f}. Going through "
                "probabilities loses them: sigmoid(40) is exactly 1 in float32, and PyTorch clamps log(0) "
                "to -100. Stay in logits.")
    if not close(values["moderate"], expected["moderate"]):
        if close(values["moderate"], expected["moderate"] / x[0].numel()):
            return averaged
        return wrong(values["moderate"], expected["moderate"])
    return None


def close(value: float, target: float) -> bool:
    return abs(value - target) <= 1e-3 * abs(target) + 1e-6
