"""Assignment 06 · a diffusion model of your own: the student writes a whole model, its training
loss and its few-step sampler, around a given noise predictor; the check trains it with the
course's `fit` on a ring of eight Gaussians and judges the points it draws, never the code.

The model the student writes (notebook 06):

    class MyDiffusion(nn.Module):
        def __init__(self, schedule): ...       # keeps the schedule, builds ToyNet()
        def loss(self, x0): ...                 # (B, 2) -> a scalar: the denoising loss
        def sample(self, n, steps, generator): ...  # DDIM from x_T ~ N(0, I) in `steps` steps -> (n, 2)

Thresholds were set from runs of the reference answer below over three seeds of the check, with a
margin (each constant says what those runs measured); tests/test_assignment_diffusion.py shows an
independently written model passing and tests/test_exercises.py each usual mistake failing.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..config import isolated_seed
from ..data import TensorLoader, ring_centres, sample_ring
from ..metrics import energy_distance
from ..models.diffusion import Schedule, ToyNet, cosine_schedule
from ..train import fit
from . import NOT_ANSWERED
from .assignments import Measured, assignment, build_model, describe

NUM_STEPS = 100  # T of the toy's cosine schedule
TRAIN_POINTS, BATCH_SIZE, NUM_EPOCHS, LR = 8192, 256, 150, 3e-3  # 4,800 Adam steps
SAMPLE_POINTS, SAMPLE_STEPS = 2000, 25  # judged: 2,000 points drawn in 25 DDIM steps
ON_RING = 0.3  # a point is "on the ring" within this distance of a centre (6 standard deviations)
MIN_ON_RING = 0.75  # correct answers: 0.91 on seeds 0-2; the unstable sampler: 0.13-0.22
MIN_MODE_SHARE = 0.03  # of each of the 8 modes (a fair share: 0.125); correct answers: 0.05 and more
MAX_ENERGY = 0.15  # energy distance to fresh ring points; correct answers: 0.024-0.055
_measured = Measured(f"trained with `fit`, {SAMPLE_POINTS} points drawn in {SAMPLE_STEPS} DDIM steps")


class ReferenceDiffusion(nn.Module):
    """lecturelib's own answer (the tests also use an independent one)."""

    clip: float | None = 3.0  # the estimate of x_0 kept in [-clip, clip]: the data lie within radius 2.05

    def __init__(self, schedule: Schedule):
        super().__init__()
        self.schedule, self.net = schedule, ToyNet()

    def loss(self, x0: torch.Tensor) -> torch.Tensor:
        t = torch.randint(1, self.schedule.num_steps + 1, (len(x0),))
        noise = torch.randn_like(x0)
        abar = self.schedule.abar[t].unsqueeze(1)  # (B, 1)
        return F.mse_loss(self.net(abar.sqrt() * x0 + (1 - abar).sqrt() * noise, t), noise)

    @torch.no_grad()
    def sample(self, n: int, steps: int, generator: torch.Generator) -> torch.Tensor:
        abar = self.schedule.abar
        times = torch.linspace(self.schedule.num_steps, 0, steps + 1).round().long()
        x = torch.randn(n, 2, generator=generator)
        for t, s in zip(times[:-1], times[1:]):
            eps = self.net(x, t.expand(n))
            x0 = (x - (1 - abar[t]).sqrt() * eps) / abar[t].sqrt()
            if self.clip is not None:
                x0 = x0.clamp(-self.clip, self.clip)
            x = abar[s].sqrt() * x0 + (1 - abar[s]).sqrt() * eps
        return x


def train_and_draw(answer: Any, generator: torch.Generator, progress: bool = False) -> tuple[nn.Module, torch.Tensor]:
    """Build the answer's model, train it with `fit` on ring points, draw SAMPLE_POINTS points in
    SAMPLE_STEPS steps."""
    with isolated_seed(int(torch.randint(2**31, (1,), generator=generator))):  # the answer's own draws
        model = answer(Schedule(cosine_schedule(NUM_STEPS)))
        points = sample_ring(TRAIN_POINTS, generator=generator)
        loader = TensorLoader(points, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
        with torch.enable_grad():
            fit(model, loader, num_epochs=NUM_EPOCHS, lr=LR, loss_fn=lambda m, batch: m.loss(batch[0]),
                progress=progress, desc="your diffusion model")
    model.eval()
    return model, model.sample(SAMPLE_POINTS, SAMPLE_STEPS, torch.Generator().manual_seed(1))


def draw_in_one_step(model: nn.Module) -> torch.Tensor:
    """500 points straight from x_T in a single step: where an unstable estimate of x_0 shows."""
    return model.sample(500, 1, torch.Generator().manual_seed(6))


def _shape_problem(model: nn.Module) -> str | None:
    if not isinstance(getattr(model, "net", None), nn.Module) or not isinstance(getattr(model, "schedule", None), Schedule):
        return "keep the given lines of __init__: the check reads your model's `net` and `schedule`"
    x0 = sample_ring(64, generator=torch.Generator().manual_seed(2))
    with torch.enable_grad():
        loss = model.loss(x0)
    if loss is None:
        return NOT_ANSWERED
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        return f"`loss(x0)` should return a scalar tensor (the mean over the batch), got {describe(loss)}"
    if not loss.requires_grad:
        return "`loss(x0)` carries no gradient: compute it from the network's output with torch operations"
    drawn = model.sample(16, 3, torch.Generator().manual_seed(3))
    if drawn is None:
        return NOT_ANSWERED
    if not isinstance(drawn, torch.Tensor) or drawn.shape != (16, 2):
        return f"`sample(16, steps, generator)` should return a (16, 2) tensor, got {describe(drawn)}"
    again = model.sample(16, 3, torch.Generator().manual_seed(3))
    if not torch.equal(drawn, again):
        return ("`sample` drew different points from the same generator: draw x_T with the generator "
                "you are given, and add no other randomness (DDIM is deterministic)")
    return None


PROBE_STEPS = (50, 99)  # the middle and the last step: where the trained network's error is measured
MAX_LATE_ERROR = 0.05  # its mean squared noise error at the last step; correct answers: 0.002-0.007, one fixed step: 0.19


def probe(net: nn.Module, schedule: Schedule) -> dict[str, float]:
    """How the trained network behaves, on fresh ring points noised the right way: its mean squared
    error against the noise at each of PROBE_STEPS, against x_0 at the middle step, and against
    the noise when x_t was mixed without square roots."""
    generator = torch.Generator().manual_seed(5)
    x0 = sample_ring(1000, generator=generator)
    noise = torch.randn(x0.shape, generator=generator)
    errors = {}
    with torch.no_grad():
        for t in PROBE_STEPS:
            abar, steps = schedule.abar[t], torch.full((len(x0),), t)
            output = net(abar.sqrt() * x0 + (1 - abar).sqrt() * noise, steps)
            errors[f"noise at t = {t}"] = F.mse_loss(output, noise).item()
            if t == PROBE_STEPS[0]:
                errors["x_0"] = F.mse_loss(output, x0).item()
                errors["no square roots"] = F.mse_loss(net(abar * x0 + (1 - abar) * noise, steps), noise).item()
    return errors


def judge(points: torch.Tensor, errors: dict[str, float], one_step: torch.Tensor) -> tuple[str | None, str]:
    """(the problem or None, the measured numbers) of a trained answer: its network first, then the
    points it drew in SAMPLE_STEPS steps and in one step (the numerically hardest: straight from t = T)."""
    middle, late = errors[f"noise at t = {PROBE_STEPS[0]}"], errors[f"noise at t = {PROBE_STEPS[1]}"]
    if errors["x_0"] < middle:
        return ("your network learned to output x_0, not the noise: the loss should compare its output "
                "with the noise that made x_t."), ""
    if errors["no square roots"] < middle:
        return ("your network fits points noised as abar_t x_0 + (1 - abar_t) noise: those are variances; "
                "the closed form scales by their square roots."), ""
    if late > MAX_LATE_ERROR:
        return (f"your network predicts the noise poorly at the last step, t = T (squared error {late:.2f}, a "
                f"correct model's is under {MAX_LATE_ERROR}), where x_t is almost pure noise: did the loss "
                "draw a fresh step t in 1..T for every point?"), ""
    if not (torch.isfinite(points).all() and torch.isfinite(one_step).all()) or one_step.abs().max() > 10:
        return ("your samples blew up (in one step from x_T: values beyond 10, or inf / nan), though your "
                "network learned the noise well: at t = T almost no signal is left, so estimating x_0 divides "
                "by sqrt(abar_T), almost 0. Keep that estimate in the range the data can have."), ""
    nearest = torch.cdist(points, ring_centres()).min(1)
    on_ring = (nearest.values < ON_RING).float().mean().item()
    shares = torch.bincount(nearest.indices[nearest.values < ON_RING], minlength=8).float() / len(points)
    energy = energy_distance(points, sample_ring(len(points), generator=torch.Generator().manual_seed(4)))
    numbers = (f"{on_ring:.0%} of {len(points)} points on the ring, every mode between {shares.min():.0%} "
               f"and {shares.max():.0%}, energy distance {energy:.4f} to real ring points")
    if on_ring < MIN_ON_RING:
        return (f"your network learned the noise well, but only {on_ring:.0%} of the points your sampler "
                f"draws lie on the ring (a correct model: over {MIN_ON_RING:.0%}). Check the sampler: from "
                "x_T down to x_0, each step estimating x_0 and re-noising it to the earlier step, with the "
                "estimate kept in the range the data can have."), numbers
    if shares.min() < MIN_MODE_SHARE:
        missing = [k for k in range(8) if shares[k] < MIN_MODE_SHARE]
        return (f"modes {missing} get under {MIN_MODE_SHARE:.0%} of the points each (a fair share is "
                "12.5 %): does your sampler start from x_T ~ N(0, I)?"), numbers
    if energy > MAX_ENERGY:
        return (f"the points are on the ring but spread unlike the data: energy distance {energy:.3f}, "
                f"a correct model stays under {MAX_ENERGY}."), numbers
    return None, numbers


def _test(answer: Any, generator: torch.Generator) -> str | None:
    _, problem = build_model(answer, Schedule(cosine_schedule(NUM_STEPS)), example="MyDiffusion",
                             checks=[_shape_problem])
    if problem is not None:
        return problem
    model, points = train_and_draw(answer, generator, progress=True)
    problem, numbers = judge(points, probe(model.net, model.schedule), draw_in_one_step(model))
    return _measured.verdict(answer, problem, numbers)


class _WithoutClip(ReferenceDiffusion):  # the numerically unstable sampler: x_0 / sqrt(abar_T ~ 0)
    diagnosis = "your samples blew up (in one step from x_T"
    clip = None


class _PredictsX0(ReferenceDiffusion):  # regresses x_0 but samples as if it were the noise
    diagnosis = "your network learned to output x_0, not the noise"

    def loss(self, x0: torch.Tensor) -> torch.Tensor:
        t = torch.randint(1, self.schedule.num_steps + 1, (len(x0),))
        abar = self.schedule.abar[t].unsqueeze(1)
        return F.mse_loss(self.net(abar.sqrt() * x0 + (1 - abar).sqrt() * torch.randn_like(x0), t), x0)


class _OneStep(ReferenceDiffusion):  # trains at one step only, t = T / 2
    diagnosis = "your network predicts the noise poorly at the last step"

    def loss(self, x0: torch.Tensor) -> torch.Tensor:
        t = torch.full((len(x0),), self.schedule.num_steps // 2)
        noise, abar = torch.randn_like(x0), self.schedule.abar[t].unsqueeze(1)
        return F.mse_loss(self.net(abar.sqrt() * x0 + (1 - abar).sqrt() * noise, t), noise)


class _NoSquareRoots(ReferenceDiffusion):  # x_t = abar x_0 + (1 - abar) noise: variances as scales
    diagnosis = "your network fits points noised as abar_t x_0"

    def loss(self, x0: torch.Tensor) -> torch.Tensor:
        t = torch.randint(1, self.schedule.num_steps + 1, (len(x0),))
        noise, abar = torch.randn_like(x0), self.schedule.abar[t].unsqueeze(1)
        return F.mse_loss(self.net(abar * x0 + (1 - abar) * noise, t), noise)


# it trains a model: about 10 s on 2 idle cores, minutes on a busy laptop
diffusion_model = assignment("06 assignment · a diffusion model of your own",
                             test=_test, solution=ReferenceDiffusion, measured=_measured,
                             mistakes=(_WithoutClip, _PredictsX0, _OneStep, _NoSquareRoots))
