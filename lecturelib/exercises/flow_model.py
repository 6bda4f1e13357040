"""Assignment 07 · a flow of your own: the student writes a whole 2-D RealNVP around given coupling
networks, its forward map with the log-determinant, its inverse, its log-density and its sampler;
the check tests the maps on random weights, trains the flow with the course's `fit` on two moons,
and judges its held-out log-likelihood and the points it draws, never the code.

The model the student writes (notebook 07):

    class MyFlow(nn.Module):
        def __init__(self): ...             # given: self.nets, NUM_COUPLINGS CouplingMLPs
        def forward(self, x): ...           # (B, 2) -> z (B, 2), log|det dz/dx| (B,)
        def inverse(self, z): ...           # (B, 2) -> x (B, 2)
        def log_prob(self, x): ...          # (B, 2) -> (B,): log N(z; 0, I) + log|det|
        def sample(self, n, generator): ... # (n, 2), from z ~ N(0, I) drawn with `generator`

Thresholds were set from runs of the reference answer below over three seeds of the check, with a
margin (each constant says what those runs measured); tests/test_assignment_flow.py shows an
independently written model passing and tests/test_exercises.py each usual mistake failing.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from ..config import isolated_seed
from ..data import TensorLoader, sample_moons
from ..metrics import energy_distance
from ..models.toy_flow import CouplingMLP
from ..train import fit
from . import NOT_ANSWERED
from .assignments import Measured, assignment, build_model, describe

NUM_COUPLINGS = 8
TRAIN_POINTS, BATCH_SIZE, NUM_EPOCHS, LR = 4096, 256, 60, 3e-3  # 960 Adam steps
TEST_POINTS = SAMPLE_POINTS = 2000
NEAR = 0.3  # a drawn point is "on a moon" within this distance of its arc (3 noise standard deviations)
MAX_NLL = 1.4  # nats per held-out point; correct answers: 1.09-1.14 on seeds 0-2 (one Gaussian fitted: about 2.0)
MIN_NEAR = 0.85  # share of drawn points on a moon; correct answers: 0.96-0.98; sampling through forward: 0.08
MAX_ENERGY = 0.03  # energy distance to fresh moon points; correct answers: 0.003-0.005
_measured = Measured(f"trained with `fit` on {TRAIN_POINTS} moon points, {SAMPLE_POINTS} points drawn")
LOG_2PI = math.log(2 * math.pi)


def _split(x: torch.Tensor, keep: int) -> tuple[torch.Tensor, torch.Tensor]:
    return x[:, keep:keep + 1], x[:, 1 - keep:2 - keep]


def _join(kept: torch.Tensor, free: torch.Tensor, keep: int) -> torch.Tensor:
    return torch.cat([kept, free] if keep == 0 else [free, kept], dim=1)


class ReferenceFlow(nn.Module):
    """lecturelib's own answer (the tests also use an independent one)."""

    def __init__(self):
        super().__init__()
        self.nets = nn.ModuleList(CouplingMLP() for _ in range(NUM_COUPLINGS))

    def keeps(self, i: int) -> int:  # coupling i keeps coordinate i % 2 and moves the other
        return i % 2

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_det = torch.zeros(len(x))
        for i, net in enumerate(self.nets):
            kept, free = _split(x, self.keeps(i))
            s, t = net(kept)
            x = _join(kept, free * s.exp() + t, self.keeps(i))
            log_det = log_det + s[:, 0]
        return x, log_det

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        for i in reversed(range(len(self.nets))):
            kept, free = _split(z, self.keeps(i))
            s, t = self.nets[i](kept)
            z = _join(kept, (free - t) * (-s).exp(), self.keeps(i))
        return z

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        z, log_det = self(x)
        return -0.5 * (z ** 2).sum(1) - LOG_2PI + log_det

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.inverse(torch.randn(n, 2, generator=generator))


def moon_distance(points: torch.Tensor) -> torch.Tensor:
    """Each point's distance (N,) to the nearer of the two moons' arcs (`data.sample_moons` without noise)."""
    angle = torch.linspace(0, math.pi, 400)
    arcs = torch.cat([torch.stack([angle.cos(), angle.sin()], 1),
                      torch.stack([1 - angle.cos(), 0.5 - angle.sin()], 1)])  # (800, 2)
    return torch.cdist(points, arcs).min(1).values


def _perturbed(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """A copy of the answer with random weights everywhere (a new coupling is the identity)."""
    copied = copy.deepcopy(model)
    with torch.no_grad():
        for p in copied.parameters():
            p.copy_(0.2 * torch.randn(p.shape, generator=generator))
    return copied


def _maps_problem(model: nn.Module) -> str | None:
    """The two maps, on random weights: shapes, the inverse, the log-determinant against autograd's,
    every coordinate moved, log_prob from z and the log-determinant."""
    if not isinstance(getattr(model, "nets", None), nn.ModuleList):
        return "keep the given line of __init__: the check reads your model's `nets`"
    generator = torch.Generator().manual_seed(2)
    model = _perturbed(model, generator)
    x = torch.randn(16, 2, generator=generator)
    out = model(x)
    if out is None or (isinstance(out, tuple) and any(o is None for o in out)):
        return NOT_ANSWERED
    if not (isinstance(out, tuple) and len(out) == 2 and all(isinstance(o, torch.Tensor) for o in out)
            and out[0].shape == (16, 2) and out[1].shape == (16,)):
        return f"`forward(x)` of a (16, 2) batch should return (z of shape (16, 2), log_det of shape (16,)), got {describe(out, items=True)}"
    z, log_det = out
    back = model.inverse(z)
    if back is None:
        return NOT_ANSWERED
    if not isinstance(back, torch.Tensor) or back.shape != (16, 2):
        return f"`inverse(z)` should return a (16, 2) tensor, got {describe(back)}"
    if not torch.allclose(back, x, atol=1e-4):
        return ("`inverse(forward(x))` is not x: undo the couplings in reverse order, each one as "
                "x = (z - t) * exp(-s), with s and t computed from the kept coordinate, which the coupling left unchanged")
    jacobians = torch.stack([torch.autograd.functional.jacobian(lambda p: model(p[None])[0][0], point) for point in x[:6]])
    exact = torch.linalg.slogdet(jacobians).logabsdet  # (6,)
    if torch.allclose(log_det[:6], -exact, atol=1e-3):
        return "your log-determinant has the wrong sign: for z = x * exp(s) + t it is + s, summed over the couplings"
    if not torch.allclose(log_det[:6], exact, atol=1e-3):
        return (f"your log-determinant is not autograd's log|det dz/dx| (yours {log_det[0].item():.3f}, autograd's "
                f"{exact[0].item():.3f} on the first point): each coupling adds its s (not exp(s)) of the coordinate it moves")
    if torch.allclose(z[:, 0], x[:, 0]) or torch.allclose(z[:, 1], x[:, 1]):
        return ("one coordinate comes out of forward unchanged: every coupling keeps the same one. Alternate, so "
                "that each coupling moves the coordinate the one before it kept")
    log_p = model.log_prob(x)
    if log_p is None:
        return NOT_ANSWERED
    if not isinstance(log_p, torch.Tensor) or log_p.shape != (16,):
        return f"`log_prob(x)` should return a (16,) tensor, one log-density per point, got {describe(log_p)}"
    expected = -0.5 * (z ** 2).sum(1) - LOG_2PI + log_det
    if torch.allclose(log_p, -0.5 * (z ** 2).sum(1) - LOG_2PI - log_det, atol=1e-3):
        return "log_prob subtracts the log-determinant: the change of variables adds log|det dz/dx|"
    if not torch.allclose(log_p, expected, atol=1e-3):
        return ("log_prob(x) is not log N(z; 0, I) + log|det dz/dx| (with z, log_det = forward(x)); "
                "log N(z; 0, I) in 2-D is -|z|^2 / 2 - log(2 pi)")
    return None


def _sample_problem(model: nn.Module) -> str | None:
    drawn = model.sample(16, torch.Generator().manual_seed(3))
    if drawn is None:
        return NOT_ANSWERED
    if not isinstance(drawn, torch.Tensor) or drawn.shape != (16, 2):
        return f"`sample(16, generator)` should return a (16, 2) tensor, got {describe(drawn)}"
    if not torch.equal(drawn, model.sample(16, torch.Generator().manual_seed(3))):
        return "`sample` drew different points from the same generator: draw z with the generator you are given"
    return None


def train_and_measure(answer: Any, generator: torch.Generator, progress: bool = False
                      ) -> tuple[nn.Module, float, torch.Tensor]:
    """Build the answer's model, train it with `fit` (loss: -log_prob) on moon points; its mean
    NLL on fresh moon points (nats per point), and SAMPLE_POINTS points it draws."""
    with isolated_seed(int(torch.randint(2**31, (1,), generator=generator))):
        model = answer()
        points = sample_moons(TRAIN_POINTS, generator=generator).x
        loader = TensorLoader(points, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
        with torch.enable_grad():
            fit(model, loader, num_epochs=NUM_EPOCHS, lr=LR, loss_fn=lambda m, batch: -m.log_prob(batch[0]).mean(),
                progress=progress, desc="your flow")
    model.eval()
    with torch.no_grad():
        nll = -model.log_prob(sample_moons(TEST_POINTS, generator=torch.Generator().manual_seed(4)).x).mean().item()
    return model, nll, model.sample(SAMPLE_POINTS, torch.Generator().manual_seed(1))


def judge(nll: float, points: torch.Tensor) -> tuple[str | None, str]:
    if not math.isfinite(nll) or not torch.isfinite(points).all():
        return "training blew up: the held-out NLL or the drawn points are not finite", ""
    near = (moon_distance(points) < NEAR).float().mean().item()
    energy = energy_distance(points, sample_moons(len(points), generator=torch.Generator().manual_seed(5)).x)
    numbers = (f"held-out NLL {nll:.3f} nats per point, {near:.0%} of {len(points)} drawn points on a moon, "
               f"energy distance {energy:.4f} to real moon points")
    if nll > MAX_NLL:
        return (f"your flow's held-out NLL is {nll:.2f} nats per point; a correct flow reaches under {MAX_NLL}. "
                "Is the loss -log_prob, with the log-determinant added?"), numbers
    if near < MIN_NEAR:
        return (f"your flow fits the moons (NLL {nll:.2f}) but only {near:.0%} of the points it draws lie on "
                f"them (a correct flow: over {MIN_NEAR:.0%}): sample z ~ N(0, I) and map it through the inverse"), numbers
    if energy > MAX_ENERGY:
        return (f"the drawn points are spread unlike the data: energy distance {energy:.3f}, a correct flow stays "
                f"under {MAX_ENERGY}"), numbers
    return None, numbers


def _test(answer: Any, generator: torch.Generator) -> str | None:
    _, problem = build_model(answer, example="MyFlow", checks=[_maps_problem, _sample_problem])
    if problem is not None:
        return problem
    _, nll, points = train_and_measure(answer, generator, progress=True)
    problem, numbers = judge(nll, points)
    return _measured.verdict(answer, problem, numbers)


class _SignFlipped(ReferenceFlow):
    diagnosis = "log_prob subtracts the log-determinant"

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        z, log_det = self(x)
        return -0.5 * (z ** 2).sum(1) - LOG_2PI - log_det


class _SameHalf(ReferenceFlow):
    diagnosis = "one coordinate comes out of forward unchanged"

    def keeps(self, i: int) -> int:
        return 0


class _NotReversed(ReferenceFlow):
    diagnosis = "`inverse(forward(x))` is not x"

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        for i in range(len(self.nets)):  # the couplings undone in the forward order
            kept, free = _split(z, self.keeps(i))
            s, t = self.nets[i](kept)
            z = _join(kept, (free - t) * (-s).exp(), self.keeps(i))
        return z


class _ExpScale(ReferenceFlow):  # the log-determinant as the sum of the scales exp(s)
    diagnosis = "your log-determinant is not autograd's"

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z, log_det = super().forward(x)
        scales = torch.zeros(len(x))
        for i, net in enumerate(self.nets):  # recomputed along the way: exp(s) summed
            kept, free = _split(x, self.keeps(i))
            s, t = net(kept)
            x = _join(kept, free * s.exp() + t, self.keeps(i))
            scales = scales + s[:, 0].exp()
        return z, scales


class _SampleForward(ReferenceFlow):  # samples by pushing z through the forward map
    diagnosis = "of the points it draws lie on them"

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self(torch.randn(n, 2, generator=generator))[0]


# it trains a model: about 10 s on 2 idle cores
flow_model = assignment("07 assignment · a flow of your own", test=_test, solution=ReferenceFlow,
                        measured=_measured, mistakes=(_SignFlipped, _SameHalf, _NotReversed, _ExpScale,
                                                      _SampleForward))
