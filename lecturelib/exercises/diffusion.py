"""Exercises of notebook 06: the closed form of the forward process, the denoising loss (which
then trains a small model on a 2-D toy), the DDIM step (which then draws digits from the shipped
model), and which half of a diffusion model is learned."""

from __future__ import annotations

from typing import Iterator

import torch
from torch.nn import functional as F

from ..config import isolated_seed
from ..data import load_digits, sample_blobs
from ..models.diffusion import (Schedule, ToyNet, cosine_schedule, ddim_times, ddpm_step, estimate_x0,
                                forward_chain)
from ..recipes import load_pretrained
from . import Case, Exercise, Question, randn, sizes


def _per_example(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(B,) -> (B, 1, 1, ...), to scale each example of `like` by its own value."""
    return values.view(-1, *([1] * (like.dim() - 1)))


# ---------------------------------------------------------------------------------------------
# 06.1 · q(x_t | x_0) in one line
# ---------------------------------------------------------------------------------------------

def _noisy(x0: torch.Tensor, abar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    a = _per_example(abar, x0)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def _noisy_cases(generator: torch.Generator) -> Iterator[Case]:
    for shape in ((sizes(generator, 2, 9), 1, 28, 28), (sizes(generator, 20, 50), 2), (1, 3, 5, 5)):
        abar = torch.rand(shape[0], generator=generator) * 0.98 + 0.01
        yield Case(f"x_0 of shape {shape}, abar_t of shape ({shape[0]},)",
                   (randn(generator, *shape), abar, randn(generator, *shape)))


def _use_noisy(answer) -> str:
    """2,000 noisy copies of a digit at step 100 from the answer, against the step-by-step chain."""
    schedule = Schedule(cosine_schedule(1000))
    x0 = (load_digits("test")[0][:1] * 2 - 1).expand(2000, 1, 28, 28)
    generator = torch.Generator().manual_seed(0)
    t = 100
    one_line = answer(x0, schedule.abar[t].expand(2000), torch.randn(x0.shape, generator=generator))
    chain = forward_chain(schedule, x0, [torch.randn(x0.shape, generator=generator) for _ in range(t)])
    mean_gap = (one_line.mean(0) - chain.mean(0)).abs().mean().item()
    var_gap = (one_line.var(0) - chain.var(0)).abs().mean().item()
    return (f"2,000 copies of a test digit noised to t = {t}: your one line and the {t}-step chain "
            f"agree, pixel by pixel, to {mean_gap:.3f} in mean and {var_gap:.3f} in variance on "
            f"average (the sampling noise of 2,000 draws is about 0.02).")


noisy_digit = Exercise(
    name="06.1 · the closed form of q(x_t | x_0)",
    reference=_noisy,
    cases=_noisy_cases,
    mistakes={
        "you scaled by abar_t and 1 - abar_t: those are variances; scale by their square roots.":
            lambda x0, abar, noise: _per_example(abar, x0) * x0 + (1 - _per_example(abar, x0)) * noise,
        "the noise needs its scale sqrt(1 - abar_t): as written, x_t's variance grows past 1.":
            lambda x0, abar, noise: _per_example(abar, x0).sqrt() * x0 + noise,
        "the noise is scaled by sqrt(abar_t): it is sqrt(1 - abar_t) (signal and noise variances sum to 1).":
            lambda x0, abar, noise: _per_example(abar, x0).sqrt() * (x0 + noise),
        "the digit is missing its scale sqrt(abar_t): the signal must fade as the noise grows.":
            lambda x0, abar, noise: x0 + (1 - _per_example(abar, x0)).sqrt() * noise,
    },
    hint="the closed form of the forward process on the slide 'One line instead of t steps': it "
         "scales by square roots; each example has its own step, so its abar must broadcast over "
         "that example's pixels.",
    use=_use_noisy,
)

# ---------------------------------------------------------------------------------------------
# 06.2 · the denoising loss
# ---------------------------------------------------------------------------------------------


def _loss(predict, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, abar: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(predict(_noisy(x0, abar[t], noise), t), noise)


def _loss_cases(generator: torch.Generator) -> Iterator[Case]:
    abar = Schedule(cosine_schedule(50)).abar
    for b in (sizes(generator, 3, 9), sizes(generator, 40, 80), 1):
        net = ToyNet()
        with torch.no_grad():
            for p in net.parameters():
                p.copy_(0.3 * randn(generator, *p.shape))
        t = torch.randint(1, 51, (b,), generator=generator)
        yield Case(f"B = {b} points, steps t of shape ({b},)",
                   (net, randn(generator, b, 2), t, randn(generator, b, 2), abar))


@isolated_seed(0)  # the toy net's initial weights: the same on every run
def _use_loss(answer) -> str:
    """Train the toy noise predictor with the answer for 600 steps; DDPM then draws 2,000 points."""
    generator = torch.Generator().manual_seed(0)
    schedule, net = Schedule(cosine_schedule(100)), ToyNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    with torch.enable_grad():  # also from a notebook that turned gradients off
        for _ in range(600):
            x0 = sample_blobs(256, generator)
            t = torch.randint(1, 101, (256,), generator=generator)
            loss = answer(net, x0, t, torch.randn(x0.shape, generator=generator), schedule.abar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        x = torch.randn(2000, 2, generator=generator)
        for t in range(100, 0, -1):
            x = ddpm_step(schedule, x, t, net(x, torch.full((2000,), t)), torch.randn(x.shape, generator=generator))
    right = ((x - torch.tensor([2.0, 0.0])).norm(dim=1) < 0.6).float().mean().item()
    left = ((x + torch.tensor([2.0, 0.0])).norm(dim=1) < 0.6).float().mean().item()
    return (f"a small network trained 600 steps with your loss on two blobs (shares 2/3 and 1/3); "
            f"DDPM then puts {right + left:.0%} of 2,000 points on a blob, {right:.0%} on the likelier one.")


denoising_loss = Exercise(
    name="06.2 · the denoising loss",
    reference=_loss,
    cases=_loss_cases,
    mistakes={
        "you compared the prediction with x_0: the network predicts the noise that was added.":
            lambda predict, x0, t, noise, abar: F.mse_loss(predict(_noisy(x0, abar[t], noise), t), x0),
        "the network saw the clean x_0: give it the noisy x_t, from which it must find the noise.":
            lambda predict, x0, t, noise, abar: F.mse_loss(predict(x0, t), noise),
        "you summed the squared errors: the loss of Ho et al. averages them (a mean over the batch "
        "and the dimensions).":
            lambda predict, x0, t, noise, abar: (predict(_noisy(x0, abar[t], noise), t) - noise).pow(2).sum(),
        "x_t used abar_t and 1 - abar_t without square roots: noise x_0 as in exercise 06.1.":
            lambda predict, x0, t, noise, abar: F.mse_loss(
                predict(_per_example(abar[t], x0) * x0 + (1 - _per_example(abar[t], x0)) * noise, t), noise),
    },
    hint="noise each example to its own step with the closed form, and ask the network for what made "
         "x_t noisy: the loss compares the prediction with that.",
    use=_use_loss,
)

# ---------------------------------------------------------------------------------------------
# 06.3 · the DDIM step
# ---------------------------------------------------------------------------------------------


def _ddim(x: torch.Tensor, eps: torch.Tensor, abar_t: float, abar_previous: float) -> torch.Tensor:
    x0 = (x - (1 - abar_t) ** 0.5 * eps) / abar_t ** 0.5
    return abar_previous ** 0.5 * x0 + (1 - abar_previous) ** 0.5 * eps


def _ddim_cases(generator: torch.Generator) -> Iterator[Case]:
    for shape in ((sizes(generator, 2, 9), 1, 28, 28), (sizes(generator, 20, 50), 2), (1, 1, 4, 4)):
        low, high = sorted((torch.rand(2, generator=generator) * 0.9 + 0.05).tolist())
        yield Case(f"x_t of shape {shape}, abar_t = {low:.3f}, abar_previous = {high:.3f}",
                   (randn(generator, *shape), randn(generator, *shape), low, high))


@torch.no_grad()
def _use_ddim(answer) -> str:
    """16 digits from the shipped diffusion model in 25 steps of the answer's DDIM, against the
    library's sampler from the same start (x_0's estimate clipped to [-1, 1] first, as it does)."""
    model = load_pretrained("diffusion")
    abar = model.schedule.abar
    reference = model.sample(16, steps=25, generator=torch.Generator().manual_seed(0))
    x = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    times = ddim_times(model.config.num_steps, 25)
    for t, previous in zip(times[:-1], times[1:]):
        eps = model.net(x, torch.full((16,), t))
        x0 = estimate_x0(model.schedule, x, t, eps, clip=1.0)  # the library's clip
        eps = (x - abar[t].sqrt() * x0) / (1 - abar[t]).sqrt()
        x = answer(x, eps, abar[t].item(), abar[previous].item())
    gap = (((x + 1) / 2).clamp(0, 1) - reference).abs().max().item()
    return (f"your step drew 16 digits from the shipped model in 25 steps; they differ from the "
            f"library's sampler by at most {gap:.1e} (grey levels in [0, 1]).")


ddim_step = Exercise(
    name="06.3 · the DDIM step",
    reference=_ddim,
    cases=_ddim_cases,
    mistakes={
        "you returned x_t: re-noise the estimate of x_0 to the *previous* step's level, abar_previous.":
            lambda x, eps, a, b: _ddim(x, eps, a, a),
        "you returned the estimate of x_0 itself: DDIM then re-noises it to the previous step.":
            lambda x, eps, a, b: (x - (1 - a) ** 0.5 * eps) / a ** 0.5,
        "the estimate of x_0 must be divided by sqrt(abar_t): x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.":
            lambda x, eps, a, b: b ** 0.5 * (x - (1 - a) ** 0.5 * eps) + (1 - b) ** 0.5 * eps,
        "you used abar and 1 - abar without square roots (variances, not scales).":
            lambda x, eps, a, b: b * (x - (1 - a) * eps) / a + (1 - b) * eps,
    },
    hint="solve the closed form for x_0 given the predicted noise, then re-noise that estimate to the "
         "earlier step with the same noise: DDIM adds no fresh noise.",
    use=_use_ddim,
)

# ---------------------------------------------------------------------------------------------
# 06.4 · a diffusion model as a VAE: which half learns?
# ---------------------------------------------------------------------------------------------

learned_half = Question.load("06.4")  # its text: questions.json
