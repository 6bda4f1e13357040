"""Exercises of notebook 05: the discriminator step, the non-saturating generator step (both
then train a GAN on the ring of Gaussians through `train.fit_gan`), the optimal discriminator,
and what it says at the end of a perfect game."""

from __future__ import annotations

import copy
import functools
from typing import Callable

import torch
from torch.nn import functional as F

from ..config import isolated_seed
from ..data import ring_centres, sample_ring
from ..metrics import modes_covered
from ..models.gan import (ToyDiscriminator, ToyGenerator, discriminator_step as reference_d_step,
                          generator_step as reference_g_step, optimal_discriminator as reference_d_star)
from ..train import fit_gan
from . import Build, Case, Exercise, NOT_ANSWERED, Question, sizes

# ---------------------------------------------------------------------------------------------
# The two steps are tested the same way: run the student's step and the reference on identical
# copies of a small game, compare what each player's parameters became, and when they differ,
# find the usual mistake that reproduces the student's result.
# ---------------------------------------------------------------------------------------------


def _game(generator: torch.Generator, data_dim: int, latent_dim: int, batch: int):
    """A small G and D with random weights, SGD optimizers, a real batch and noise."""
    with isolated_seed(int(torch.randint(2**31, (1,), generator=generator))):  # the initial weights
        G, D = ToyGenerator(latent_dim, data_dim, 16), ToyDiscriminator(data_dim, 16)
    x_real = torch.randn(batch, data_dim, generator=generator) + 1.0
    z = torch.randn(batch, latent_dim, generator=generator)
    return G, D, x_real, z


def _play(step: Callable, which: str, G, D, x_real, z, stale_grads: bool = True):
    """Copies of the game, one `step` on them with fresh SGD optimizers; gradients left over from
    an earlier step sit in every parameter (a missing zero_grad shows). Returns (G, D, result)."""
    G, D = copy.deepcopy(G), copy.deepcopy(D)
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    if stale_grads:
        for p in [*G.parameters(), *D.parameters()]:
            p.grad = torch.full_like(p, 0.5)
    if which == "D":
        result = step(G, D, opt_D, x_real.clone(), z.clone())
    else:
        result = step(G, D, opt_G, z.clone())
    return G, D, result


def _flat(module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def _test_step(answer, generator: torch.Generator, which: str, reference: Callable,
               mistakes: dict[str, Callable]) -> str | None:
    player, other = {"D": ("discriminator", "generator"), "G": ("generator", "discriminator")}[which]
    pick = (lambda G, D: D) if which == "D" else (lambda G, D: G)  # the player this step trains
    for number, (data_dim, latent_dim, batch) in enumerate(((2, 2, sizes(generator, 5, 40)), (1, 1, 8),
                                                            (3, 2, 1)), 1):
        where = f"case {number} of 3 ({batch} samples in {data_dim}-D)"
        game = _game(generator, data_dim, latent_dim, batch)
        G, D, result = _play(answer, which, *game)
        if result is None:
            return NOT_ANSWERED
        G_ref, D_ref, loss = _play(reference, which, *game)
        still, still_ref = (G, G_ref) if which == "D" else (D, D_ref)
        if not torch.equal(_flat(still), _flat(still_ref)):
            return (f"{where}: the {other} changed. Step only the optimizer you are given: it holds "
                    f"the {player}'s parameters.")
        if which == "D" and any(not torch.equal(p.grad, torch.full_like(p, 0.5)) for p in G.parameters()):
            return (f"{where}: gradients flowed into the generator: the fakes should reach D cut off "
                    f"from G's graph; the discriminator step trains D only.")
        mover = _flat(pick(G, D))
        if torch.allclose(mover, _flat(pick(G_ref, D_ref)), atol=1e-6):
            if not isinstance(result, float) or abs(result - loss) > 1e-5 * max(1.0, abs(loss)):
                return (f"{where}: the {player} was updated correctly, but the step should return "
                        f"the loss as a float (loss.item()), {loss:.4f} here; got {result!r}.")
            continue
        for diagnosis, mistake in mistakes.items():
            if torch.allclose(mover, _flat(pick(*_play(mistake, which, *game)[:2])), atol=1e-6):
                return f"{where}: {diagnosis}"
        if torch.equal(mover, _flat(pick(*game[:2]))):
            if which == "G" and all(p.grad is None or not p.grad.any() for p in G.parameters()):
                return (f"{where}: no gradient reached the generator: in its step, the gradient must "
                        f"flow from D's verdict back through D into G.")
            return f"{where}: the {player}'s parameters did not change: call optimizer.step()."
        return (f"{where}: after your step the {player}'s parameters differ from the expected ones "
                f"by up to {(mover - _flat(pick(G_ref, D_ref))).abs().max():.3g}. Hint: zero the "
                f"gradients, compute the loss, backward, step; the {other} is not trained here.")
    return None


_RUN_TO_RUN = ("A single run at this point of training covers 6 to 8 modes, and rounding differences "
               "between two correct steps change the run: compare the right panel of the mode-collapse "
               "figure, not the two numbers.")


@functools.lru_cache(maxsize=None)
def reference_ring_modes() -> int:
    """Modes covered at the end of the balanced ring game of notebook 05 (seed 0), played with
    lecturelib's own steps and no snapshots (deterministic: computed once). Notebook 05 prints it
    next to its own runs, whose snapshots draw noise from the global generator in between."""
    return _ring_run(None, None)


@isolated_seed(0)  # weights, real samples and noise all come from the (restored) global generator
def _ring_run(d_step: Callable | None, g_step: Callable | None, steps: int = 1500) -> int:
    """The balanced ring game of notebook 05 (seed 0), with the given steps; modes covered at the end."""
    G, D = ToyGenerator(2, 2, 128), ToyDiscriminator(2, 128)
    fit_gan(G, D, lambda: sample_ring(128), lambda n: torch.randn(n, 2), num_steps=steps, lr=2e-3,
            progress=False, d_step=d_step, g_step=g_step)
    with torch.no_grad():
        return modes_covered(G(torch.randn(1000, 2, generator=torch.Generator().manual_seed(1))), ring_centres())


# ---------------------------------------------------------------------------------------------
# 05.1 · the discriminator step
# ---------------------------------------------------------------------------------------------


def _d_step_labels_swapped(G, D, optimizer, x_real, z):
    x_fake = G(z).detach()
    loss = F.binary_cross_entropy_with_logits(D(x_real), torch.zeros(len(x_real))) + \
        F.binary_cross_entropy_with_logits(D(x_fake), torch.ones(len(x_fake)))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _d_step_no_zero_grad(G, D, optimizer, x_real, z):
    loss = F.binary_cross_entropy_with_logits(D(x_real), torch.ones(len(x_real))) + \
        F.binary_cross_entropy_with_logits(D(G(z).detach()), torch.zeros(len(z)))
    loss.backward()
    optimizer.step()
    return loss.item()


def _d_step_fake_term_only(G, D, optimizer, x_real, z):
    loss = F.binary_cross_entropy_with_logits(D(G(z).detach()), torch.zeros(len(z)))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _d_step_ascending(G, D, optimizer, x_real, z):
    loss = F.binary_cross_entropy_with_logits(D(x_real), torch.ones(len(x_real))) + \
        F.binary_cross_entropy_with_logits(D(G(z).detach()), torch.zeros(len(z)))
    optimizer.zero_grad()
    (-loss).backward()
    optimizer.step()
    return loss.item()


_D_MISTAKES = {
    "real and fake targets are swapped: real digits get target 1, fakes 0.": _d_step_labels_swapped,
    "the gradients of the previous step were not cleared: call optimizer.zero_grad() before "
    "backward().": _d_step_no_zero_grad,
    "the real term is missing: D must learn to say 1 on real samples as well as 0 on fakes.":
        _d_step_fake_term_only,
    "D climbed its loss: minimise the cross-entropy (backward on the loss, not on its negative).":
        _d_step_ascending,
}


def _d_step_not_detached(G, D, optimizer, x_real, z):
    loss = F.binary_cross_entropy_with_logits(D(x_real), torch.ones(len(x_real))) + \
        F.binary_cross_entropy_with_logits(D(G(z)), torch.zeros(len(z)))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


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


def _use_d_step(answer) -> str:
    ours, yours = reference_ring_modes(), _ring_run(answer, None)
    return (f"train.fit_gan with your discriminator step on the ring of 8 Gaussians (balanced rates, "
            f"1,500 steps, seed 0): the generator covers {yours} of 8 modes at the end "
            f"(lecturelib's own step: {ours}). {_RUN_TO_RUN}")


discriminator_step = Build(
    name="05.1 · the discriminator step",
    test=lambda answer, g: _test_step(answer, g, "D", reference_d_step, _D_MISTAKES),
    solution=_d_step_solution,
    wrong={diagnosis[:40]: mistake for diagnosis, mistake in _D_MISTAKES.items()}
    | {"did not change: call optimizer.step()": lambda G, D, opt, x, z: 0.0,
       "gradients flowed into the generator": _d_step_not_detached},
    use=_use_d_step,
)

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


def _use_g_step(answer) -> str:
    ours, yours = reference_ring_modes(), _ring_run(None, answer)
    return (f"train.fit_gan with your generator step on the ring of 8 Gaussians (balanced rates, "
            f"1,500 steps, seed 0): {yours} of 8 modes covered at the end (lecturelib's own step: "
            f"{ours}). {_RUN_TO_RUN}")


generator_step = Build(
    name="05.2 · the non-saturating generator step",
    test=lambda answer, g: _test_step(answer, g, "G", reference_g_step, _G_MISTAKES),
    solution=_g_step_with(lambda l: F.binary_cross_entropy_with_logits(l, torch.ones_like(l))),
    wrong={diagnosis[:40]: mistake for diagnosis, mistake in _G_MISTAKES.items()}
    | {"no gradient reached the generator": _g_step_detached},
    use=_use_g_step,
)

# ---------------------------------------------------------------------------------------------
# 05.3 · the optimal discriminator
# ---------------------------------------------------------------------------------------------


def _d_star_cases(generator: torch.Generator) -> list[Case]:
    cases = []
    for n in (sizes(generator, 5, 50), 1, 300):
        p_data = torch.rand(n, generator=generator) * 2
        p_g = torch.rand(n, generator=generator) * 2
        cases.append(Case(f"{n} points", (p_data, p_g)))
    return cases


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

perfect_game = Question(
    name="05.4 · D* when the generator is perfect",
    choices=("0", "0.5", "1", "it depends on x"),
    answer="0.5",
    replies={
        "0": "D* = p_data / (p_data + p_g); with p_g = p_data that is p / 2p, for every x.",
        "1": "D* = 1 would mean 'surely real'; but a perfect generator's samples are "
             "indistinguishable from real ones.",
        "it depends on x": "p_data(x) varies with x, but with p_g = p_data the ratio "
                           "p_data / (p_data + p_g) is the same at every x.",
    },
    why="with p_g = p_data, D* = 1/2 everywhere: the discriminator can do no better than a coin, "
        "and V(D*, G) = -log 4, the minimum of the game (Goodfellow et al. 2014, Thm. 1).",
)
