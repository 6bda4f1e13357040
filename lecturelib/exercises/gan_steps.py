"""How notebook 05's two step exercises (05.1 the discriminator step, 05.2 the generator step) are
judged and put to work: the student's step and the reference on identical copies of a small game,
the usual mistake that reproduces a wrong result named; a correct step then trains a GAN on the ring
of Gaussians through `train.fit_gan`."""

from __future__ import annotations

import copy
import functools
from typing import Callable

import torch

from ..config import isolated_seed
from ..data import ring_centres, sample_ring
from ..metrics import modes_covered
from ..models.gan import ToyDiscriminator, ToyGenerator
from ..train import fit_gan
from . import NOT_ANSWERED, Build, sizes

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


def test_step(answer, generator: torch.Generator, which: str, reference: Callable,
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



def step_exercise(name: str, which: str, reference: Callable, solution: Callable, mistakes: dict[str, Callable],
                  also_wrong: dict[str, Callable], covered: str) -> Build:
    """The Build of one player's step (`which`: "D" or "G"), judged by `test_step` against `reference`
    and its usual `mistakes`, put to work on the ring game; `covered` says, from the number of modes
    `{yours}`, what the generator covers at the end."""
    player = {"D": "discriminator", "G": "generator"}[which]

    def use(answer) -> str:
        ours, yours = reference_ring_modes(), _ring_run(*((answer, None) if which == "D" else (None, answer)))
        return (f"train.fit_gan with your {player} step on the ring of 8 Gaussians (balanced rates, "
                f"1,500 steps, seed 0): {covered.format(yours=yours)} (lecturelib's own step: {ours}). {_RUN_TO_RUN}")

    return Build(name=name, test=lambda answer, g: test_step(answer, g, which, reference, mistakes),
                 solution=solution, wrong={diagnosis[:40]: mistake for diagnosis, mistake in mistakes.items()} | also_wrong,
                 use=use)
