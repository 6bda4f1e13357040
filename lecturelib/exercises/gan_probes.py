"""What the steps of a student's DCGAN do on games the check controls (assignment 05, gan_model): the
shapes of G and D on the untrained model, then each player's step once on a probe game whose D is
sure of itself, with one parameter per player to watch: where a loss written through probabilities
is inf or nan, or its gradient vanishes. Nothing here trains; it costs milliseconds."""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from . import NOT_ANSWERED
from .assignments import describe

LATENT_DIM, SIDE = 32, 14  # z: (B, 32, 1, 1), a 1 x 1 image; digits average-pooled to 14 x 14, in [-1, 1]
PROBE_BATCH = 64  # images and codes in a probe game (the training batch size)
CONFIDENT_LOGIT = 100.0  # the probes' D is this sure: sigmoid rounds to 0 or 1 in float32 here
PROBE_LR = 1e-3  # SGD on a probe's one parameter: a correct step moves it by about lr (lr / 2 if halved)


def shape_problem(model: nn.Module) -> tuple[str | None, tuple[int, ...]]:
    """(the problem or None, the shape of D's output after the batch dimension)."""
    if any(getattr(model, name, None) in (None, Ellipsis) for name in ("G", "D")):
        return NOT_ANSWERED, ()
    if not isinstance(model.G, nn.Module) or not isinstance(model.D, nn.Module):
        return f"self.G and self.D should be networks (nn.Module); got {describe(model.G)}, {describe(model.D)}", ()
    with torch.no_grad():
        x = model.G(torch.randn(5, LATENT_DIM, 1, 1, generator=torch.Generator().manual_seed(2)))
        if not isinstance(x, torch.Tensor) or x.shape != (5, 1, SIDE, SIDE):
            return f"G should map z (B, {LATENT_DIM}, 1, 1) to images (B, 1, {SIDE}, {SIDE}); got {describe(x)}", ()
        logits = model.D(x)
    if not isinstance(logits, torch.Tensor) or len(logits) != 5 or logits.numel() != 5:
        return f"D should give one logit per image, (B,); got {describe(logits)} for 5 images", ()
    return None, tuple(logits.shape[1:])


class _Probe(nn.Module):
    """A player with one parameter to watch, `value`: forward(x) = rule(value, x)."""

    def __init__(self, value: float, rule: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]):
        super().__init__()
        self.value, self.rule = nn.Parameter(torch.tensor(value)), rule

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rule(self.value, x)


def _probe(answer: Any, step: str, logit: float, shape: tuple[int, ...]) -> tuple[Any, float, nn.Module]:
    """The answer's D or G step once on a probe game: G(z) = theta = -1 in every pixel, D's logit
    `logit` (for G: on its fakes), SGD on the stepped player's parameter. (What the step returned,
    how far the parameter moved towards a less sure D or a more convincing G, the game.)"""
    game, slope = answer(), 1e-3 if step == "D" else 1.0  # D's slope 1e-3: the fakes barely matter to it
    game.G = _Probe(-1.0, lambda theta, z: theta.expand(len(z), 1, SIDE, SIDE))
    game.D = _Probe(logit + (slope if step == "G" else 0.0),
                    lambda bias, x: (bias + slope * x.mean((1, 2, 3))).view(len(x), *shape))
    z = torch.randn(PROBE_BATCH, LATENT_DIM, 1, 1, generator=torch.Generator().manual_seed(3))
    if step == "D":
        x_real = torch.zeros(PROBE_BATCH, 1, SIDE, SIDE)
        loss = game.discriminator_step(torch.optim.SGD([game.D.value], lr=PROBE_LR), x_real, z)
        return loss, (abs(logit) - game.D.value.abs()).item(), game
    loss = game.generator_step(torch.optim.SGD([game.G.value], lr=PROBE_LR), z)
    return loss, game.G.value.item() + 1.0, game


def probe_problem(answer: Any, shape: tuple[int, ...]) -> str | None:
    """D's step with D sure of every image (logits +100, then -100); G's step with D undecided
    (logit 0), then sure that the fakes are fake (logit -100). A correct step works in logits: its
    loss stays finite and the player moves by about lr, to a less sure D or a more convincing G."""
    for step, logit in (("D", CONFIDENT_LOGIT), ("D", -CONFIDENT_LOGIT), ("G", 0.0), ("G", -CONFIDENT_LOGIT)):
        loss, moved, game = _probe(answer, step, logit, shape)
        if not isinstance(loss, float):
            name = {"D": "discriminator_step", "G": "generator_step"}[step]
            return NOT_ANSWERED if loss is None else f"`{name}` should return its loss as a float; got {describe(loss)}"
        finite = math.isfinite(loss) and math.isfinite(moved)
        if step == "D" and not finite:
            return (f"your discriminator's loss is inf or nan when D is sure (logits {logit:+g}): sigmoid(l) "
                    "rounds to exactly 0 or 1 there, and its log to -inf. Write each log-probability as a "
                    "function of the logit that stays finite.")
        if step == "D" and game.G.value.grad is not None and game.G.value.grad.abs().item() > 0:
            return ("gradients flowed into the generator during D's step: the fakes should reach D as plain "
                    "numbers. Else G carries D's gradient into its own step, which follows D's loss too unless "
                    "it clears them first.")
        if step == "D" and abs(moved) < 0.25 * PROBE_LR:
            return (f"your discriminator barely learns when it is sure and wrong (logits {logit:+g}): one SGD "
                    f"step moved its logit by {moved:.2g}, a correct step by about {PROBE_LR:g}. Probabilities "
                    "round to 0 or 1 there, and their gradient vanishes: stay in logits.")
        if step == "D" and moved < 0:
            return "your discriminator's step made it surer of its mistakes: minimise its loss, do not climb it."
        if step == "G" and not finite:
            return (f"your generator's loss is inf or nan when D rejects its samples (logit {logit:g}): "
                    "sigmoid(l) rounds to 0 there. Write it as a function of the logit that stays finite.")
        if step == "G" and game.G.value.grad is None:
            return "no gradient reached the generator: G's samples must stay connected to G up to D's verdict."
        if step == "G" and logit == 0 and moved < 0.25 * PROBE_LR:
            return "your generator's step made D surer that its samples are fake: G's target is what D calls real."
        if step == "G" and abs(moved) < 0.25 * PROBE_LR:
            return (f"your generator barely learns when D rejects its samples (logit {logit:g}): one SGD step "
                    f"moved it by {moved:.2g}, a correct step by about {PROBE_LR:g}. That is the saturating "
                    "loss, log(1 - D(G(z))), whose gradient vanishes right there: use the non-saturating one.")
    return None
