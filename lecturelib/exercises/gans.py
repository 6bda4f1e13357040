"""Exercises of notebook 05: the discriminator step, the non-saturating generator step (both
then train a GAN on the ring of Gaussians through `train.fit_gan`), the optimal discriminator,
and what it says at the end of a perfect game."""

from __future__ import annotations

from typing import Callable, Iterator

import torch
from torch.nn import functional as F

from ..models.gan import (discriminator_step as reference_d_step, generator_step as reference_g_step,
                          optimal_discriminator as reference_d_star)
from . import Case, Exercise, Question, sizes
from .gan_steps import reference_ring_modes, step_exercise

__all__ = ["discriminator_step", "generator_step", "optimal_discriminator", "perfect_game", "reference_ring_modes"]

# ---------------------------------------------------------------------------------------------
# 05.1 · the discriminator step
# ---------------------------------------------------------------------------------------------


def _d_step_with(loss_of_logits: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], zero: bool = True,
                 ascend: bool = False, detach: bool = True):
    """A discriminator step as students write it, from the loss of (real_logits, fake_logits)."""
    def step(G, D, optimizer, x_real, z):
        x_fake = G(z).detach() if detach else G(z)
        loss = loss_of_logits(D(x_real), D(x_fake))
        if zero:
            optimizer.zero_grad()
        (-loss if ascend else loss).backward()
        optimizer.step()
        return loss.item()
    return step


def _bce(real_target: float):
    """The cross-entropy with real samples labelled `real_target`, fakes the other label."""
    return lambda real, fake: (F.binary_cross_entropy_with_logits(real, torch.full_like(real, real_target))
                               + F.binary_cross_entropy_with_logits(fake, torch.full_like(fake, 1 - real_target)))


_D_MISTAKES = {
    "real and fake targets are swapped: real digits get target 1, fakes 0.": _d_step_with(_bce(0.0)),
    "the gradients of the previous step were not cleared: call optimizer.zero_grad() before "
    "backward().": _d_step_with(_bce(1.0), zero=False),
    "the real term is missing: D must learn to say 1 on real samples as well as 0 on fakes.":
        _d_step_with(lambda real, fake: F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))),
    "D climbed its loss: minimise the cross-entropy (backward on the loss, not on its negative).":
        _d_step_with(_bce(1.0), ascend=True),
}


def _d_step_solution(G, D, optimizer, x_real, z):
    with torch.no_grad():
        x_fake = G(z)
    real_logits, fake_logits = D(x_real), D(x_fake)
    loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + \
        F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


discriminator_step = step_exercise(
    "05.1 · the discriminator step", "D", reference_d_step, _d_step_solution, _D_MISTAKES,
    also_wrong={"did not change: call optimizer.step()": lambda G, D, opt, x, z: 0.0,
                "gradients flowed into the generator": _d_step_with(_bce(1.0), detach=False)},
    covered="the generator covers {yours} of 8 modes at the end")

# ---------------------------------------------------------------------------------------------
# 05.2 · the non-saturating generator step
# ---------------------------------------------------------------------------------------------


def _g_step_with(loss_of_logits: Callable[[torch.Tensor], torch.Tensor], zero: bool = True):
    def step(G, D, optimizer, z):
        loss = loss_of_logits(D(G(z)))
        if zero:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


_G_MISTAKES = {
    "that is the saturating loss log(1 - D(G(z))): its gradient vanishes when D rejects the fakes. "
    "Minimise -log D(G(z)) instead, the non-saturating loss.": _g_step_with(lambda l: -F.softplus(l).mean()),
    "the sign is flipped: G should make D say 'real', i.e. minimise -log D(G(z)).":
        _g_step_with(lambda l: -F.softplus(-l).mean()),
    "the gradients of the previous step were not cleared: call optimizer.zero_grad() before "
    "backward().": _g_step_with(lambda l: F.softplus(-l).mean(), zero=False),
    "you trained G towards target 0 ('fake'): the generator's target is 1.":
        _g_step_with(lambda l: F.binary_cross_entropy_with_logits(l, torch.zeros_like(l))),
}


def _g_step_detached(G, D, optimizer, z):
    loss = F.softplus(-D(G(z).detach())).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


generator_step = step_exercise(
    "05.2 · the non-saturating generator step", "G", reference_g_step,
    _g_step_with(lambda l: F.binary_cross_entropy_with_logits(l, torch.ones_like(l))), _G_MISTAKES,
    also_wrong={"no gradient reached the generator": _g_step_detached},
    covered="{yours} of 8 modes covered at the end")

# ---------------------------------------------------------------------------------------------
# 05.3 · the optimal discriminator
# ---------------------------------------------------------------------------------------------


def _d_star_cases(generator: torch.Generator) -> Iterator[Case]:
    for n in (sizes(generator, 5, 50), 1, 300):
        p_data = torch.rand(n, generator=generator) * 2
        p_g = torch.rand(n, generator=generator) * 2
        yield Case(f"{n} points", (p_data, p_g))


def _use_d_star(answer, p_data: torch.Tensor | None = None, p_g: torch.Tensor | None = None,
                d_trained: torch.Tensor | None = None) -> str:
    if p_data is None:
        return "D* from two densities."
    where = (p_data + p_g) / 2 > 0.05
    gap = (answer(p_data, p_g) - d_trained)[where].abs().max().item()
    return (f"on the 1-D toy of this notebook, your D* and the discriminator trained against the "
            f"fixed generator differ by at most {gap:.3f} where the mixture density exceeds 0.05.")


optimal_discriminator = Exercise(
    name="05.3 · the optimal discriminator",
    reference=reference_d_star,
    cases=_d_star_cases,
    mistakes={
        "that is D*'s complement, the probability of 'fake'; D* is the probability of 'real'.":
            lambda p_data, p_g: p_g / (p_data + p_g),
        "that is the density ratio p_data / p_g, not a probability: divide by the sum instead.":
            lambda p_data, p_g: p_data / p_g,
    },
    hint="at each x on its own, D(x) maximises p_data(x) log D(x) + p_g(x) log(1 - D(x)): where is "
         "its derivative in D(x) zero?",
    use=_use_d_star,
)

# ---------------------------------------------------------------------------------------------
# 05.4 · the end of a perfect game
# ---------------------------------------------------------------------------------------------

perfect_game = Question.load("05.4")  # its text: questions.json
