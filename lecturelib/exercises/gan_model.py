"""Assignment 05 · a DCGAN of your own: the student writes `MyGAN`, a small convolutional `self.G`
and `self.D` and each player's step with the non-saturating losses, `discriminator_step(optimizer,
x_real, z)` and `generator_step(optimizer, z)`. The check runs each step on a probe game whose D is
sure of itself (where unstable losses break), trains the pair with `fit_gan` on the digits made
14 x 14 and judges what it does, with thresholds from three seeds of the reference answer and a
margin (each constant says what they measured). tests/test_assignment_gan.py: an independent answer."""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..config import isolated_seed
from ..data import TensorLoader, load_digits
from ..metrics import classifier_labels, fcd_floor, frechet_classifier_distance
from ..recipes import load_pretrained
from ..train import fit_gan
from .assignments import Measured, assignment, build_model
from .gan_probes import LATENT_DIM, SIDE, probe_problem, shape_problem

NUM_STEPS, BATCH_SIZE, LR = 600, 64, 1e-3  # generator steps of fit_gan (Adam, betas 0.5, 0.999)
NUM_SAMPLES = 2000  # judged: 2,000 samples against the 2,000 test digits
# What the trained pair does. Correct answers on seeds 0-2 of the check (600 steps):
MIN_D_REAL = 0.2  # D's mean verdict on the test digits; correct: 0.49-0.65; labels swapped: 0.000
MAX_OUTSIDE = 0.01  # share of sample pixels beyond [-1.01, 1.01]; tanh: 0; no output function: 0.22-0.35
BACKGROUND = -0.9  # a pixel below this is background: 77 % of the test digits' pixels
MIN_BACKGROUND = 0.5  # share of background in the samples; correct: 0.716-0.718; sigmoid output: 0.000
MAX_FLOORS = 35.0  # Fréchet classifier distance in floors; correct: 13.9-18.1 (2x margin); no output function: 86-95
MIN_CLASS_SHARE = 0.015  # each class's share of the samples, as the classifier reads them; correct: 3.6 % and up


def _update(optimizer: torch.optim.Optimizer, loss: torch.Tensor, clear_after: bool = False) -> float:
    """One step of one player: clear its gradients, backward, step; the loss as a float."""
    if not clear_after:  # clear_after: the usual mistake of `_NotDetached`
        optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if clear_after:
        optimizer.zero_grad()
    return loss.item()


class ReferenceGAN(nn.Module):
    """lecturelib's own answer (the tests also use an independent one)."""

    def __init__(self):
        super().__init__()
        self.G = nn.Sequential(  # z as a 1 x 1 image; fractionally-strided convolutions, no pooling
            nn.ConvTranspose2d(LATENT_DIM, 64, 7, 1, 0, bias=False), nn.BatchNorm2d(64), nn.ReLU(),  # (B, 64, 7, 7)
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())  # (B, 1, 14, 14) in [-1, 1], like the data
        self.D = nn.Sequential(  # strided convolutions, LeakyReLU, batch norm but on the input layer
            nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2),  # (B, 32, 7, 7)
            nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),  # (B, 64, 3, 3)
            nn.Conv2d(64, 1, 3, 1, 0), nn.Flatten(0))  # (B,) logits

    def discriminator_step(self, optimizer: torch.optim.Optimizer, x_real: torch.Tensor, z: torch.Tensor) -> float:
        with torch.no_grad():
            x_fake = self.G(z)  # D's step trains D only
        # -log D(x) - log(1 - D(G(z))) in logits: -log sigmoid(l) = softplus(-l), -log(1 - sigmoid(l)) = softplus(l)
        return _update(optimizer, F.softplus(-self.D(x_real)).mean() + F.softplus(self.D(x_fake)).mean())

    def generator_step(self, optimizer: torch.optim.Optimizer, z: torch.Tensor) -> float:
        return _update(optimizer, F.softplus(-self.D(self.G(z))).mean())  # -log D(G(z)): non-saturating


def digits(split: str) -> torch.Tensor:
    """The shipped digits of `split`, average-pooled to SIDE x SIDE, in [-1, 1]: what D sees."""
    return F.avg_pool2d(load_digits(split).x, 28 // SIDE) * 2 - 1


def for_classifier(images: torch.Tensor) -> torch.Tensor:  # (N, 1, SIDE, SIDE) in [-1, 1] -> 28 x 28 in [0, 1]
    return F.interpolate((images.clamp(-1, 1) + 1) / 2, size=28, mode="bilinear", align_corners=False)


@functools.lru_cache(maxsize=1)
def _judge_kit() -> tuple[nn.Module, torch.Tensor, float]:
    """The classifier, the test digits it scores against, and the floor: the distance of 2,000 real
    training digits (mean of the four disjoint sets), all made 14 x 14 the same way."""
    classifier, reference = load_pretrained("classifier"), for_classifier(digits("test"))
    return classifier, reference, fcd_floor(for_classifier(digits("train")), reference, classifier).value


def train(answer: Any, generator: torch.Generator, progress: bool = False) -> nn.Module:
    """The answer's model, its G and D trained by `fit_gan` with the answer's own steps on the 8,000
    shipped training digits, in eval mode. On one thread: the same run whatever the number of
    cores; a second saves little on so small a GAN (15 against 17-21 ms a step on 2 lightly loaded
    cores) and costs much on busy ones (90-400 ms a step with 5 jobs running)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with isolated_seed(int(torch.randint(2**31, (1,), generator=generator))):  # the answer's own draws
            model = answer()
            loader = TensorLoader(digits("train"), batch_size=BATCH_SIZE, shuffle=True, generator=generator,
                                  drop_last=True)
            with torch.enable_grad():
                fit_gan(model.G, model.D, loader.forever(), lambda n: torch.randn(n, LATENT_DIM, 1, 1),
                        num_steps=NUM_STEPS, lr=LR, progress=progress, desc="your GAN",
                        d_step=lambda G, D, optimizer, x_real, z: model.discriminator_step(optimizer, x_real, z),
                        g_step=lambda G, D, optimizer, z: model.generator_step(optimizer, z))
    finally:
        torch.set_num_threads(threads)
    return model.eval()


@torch.no_grad()
def measure(model: nn.Module) -> dict[str, Any]:
    """What a trained pair does: G's samples (range, background, distance to the test digits in
    floors, the classes the classifier reads in them) and D's verdicts on test digits and fakes."""
    classifier, reference, floor = _judge_kit()
    fakes = model.G(torch.randn(NUM_SAMPLES, LATENT_DIM, 1, 1, generator=torch.Generator().manual_seed(1)))
    images, real = for_classifier(fakes), digits("test")
    return {"outside": (fakes.abs() > 1.01).float().mean().item(),
            "background": (fakes < BACKGROUND).float().mean().item(),
            "real_background": (real < BACKGROUND).float().mean().item(),
            "d_real": torch.sigmoid(model.D(real).flatten()).mean().item(),
            "d_fake": torch.sigmoid(model.D(fakes).flatten()).mean().item(),
            "floors": frechet_classifier_distance(images, reference, classifier) / floor,
            "shares": torch.bincount(classifier_labels(images, classifier), minlength=10) / len(images)}


def judge(m: dict[str, Any]) -> tuple[str | None, str]:
    """(the problem or None, the measured numbers) of a trained pair."""
    shares = m["shares"]
    numbers = (f"{NUM_SAMPLES} samples {m['floors']:.1f} floors from the test digits, every class between "
               f"{shares.min():.0%} and {shares.max():.0%}, {m['background']:.0%} background; D says 'real' "
               f"with {m['d_real']:.2f} to test digits, {m['d_fake']:.2f} to fakes")
    if m["d_real"] < MIN_D_REAL:
        return (f"your discriminator calls held-out real digits fake: D(x) = {m['d_real']:.2f} on average (a "
                f"correct one: over {MIN_D_REAL}). Which images did your D step teach it to call real?"), numbers
    if m["outside"] > MAX_OUTSIDE:
        return (f"{m['outside']:.0%} of your samples' pixels lie outside [-1, 1], where no digit's pixel is: "
                "G's last layer should map onto exactly that range."), numbers
    if m["background"] < MIN_BACKGROUND:
        return (f"your samples never reach the digits' background: {m['background']:.0%} of their pixels lie below "
                f"{BACKGROUND}, against {m['real_background']:.0%} of the test digits' (a correct model: over "
                f"{MIN_BACKGROUND:.0%}). The digits are scaled to [-1, 1]: does G's output cover that range?"), numbers
    if m["floors"] > MAX_FLOORS:
        return (f"your samples are far from the test digits: {m['floors']:.0f} floors (a correct model: under "
                f"{MAX_FLOORS:g}; a floor is the distance of real training digits)."), numbers
    if shares.min() < MIN_CLASS_SHARE:
        rare = [k for k in range(10) if shares[k] < MIN_CLASS_SHARE]
        return (f"the classifier reads digits {rare} in under {MIN_CLASS_SHARE:.1%} of your samples each (a fair "
                "share is 10 %): your generator covers part of the data only, mode collapse."), numbers
    return None, numbers


_measured = Measured(f"trained with `fit_gan` for {NUM_STEPS} steps")


def _test(answer: Any, generator: torch.Generator) -> str | None:
    model, problem = build_model(answer, example="MyGAN")
    if problem is None:
        problem, shape = shape_problem(model)
        problem = problem or probe_problem(answer, shape)
    if problem is not None:
        return problem
    problem, numbers = judge(measure(train(answer, generator, progress=True)))
    return _measured.verdict(answer, problem, numbers)


class _LogOfProbabilities(ReferenceGAN):  # log(sigmoid(l)) and log(1 - sigmoid(l)): -inf once D is sure
    diagnosis = "your discriminator's loss is inf or nan when D is sure"

    def discriminator_step(self, optimizer, x_real, z):
        real, fake = torch.sigmoid(self.D(x_real)), torch.sigmoid(self.D(self.G(z).detach()))
        return _update(optimizer, -(torch.log(real).mean() + torch.log(1 - fake).mean()))


class _CrossEntropyOfProbabilities(ReferenceGAN):  # BCE clamps each log at -100: finite, but no gradient
    diagnosis = "your discriminator barely learns when it is sure and wrong"

    def discriminator_step(self, optimizer, x_real, z):
        real, fake = torch.sigmoid(self.D(x_real)), torch.sigmoid(self.D(self.G(z).detach()))
        return _update(optimizer, F.binary_cross_entropy(real, torch.ones_like(real))
                       + F.binary_cross_entropy(fake, torch.zeros_like(fake)))


class _Saturating(ReferenceGAN):  # G minimises log(1 - D(G(z))) = -softplus(l), even written stably
    diagnosis = "your generator barely learns when D rejects its samples"

    def generator_step(self, optimizer, z):
        return _update(optimizer, -F.softplus(self.D(self.G(z))).mean())


class _NotDetached(ReferenceGAN):  # fakes not detached in D's step, gradients cleared after it: G's step follows D's loss too
    diagnosis = "gradients flowed into the generator during D's step"

    def discriminator_step(self, optimizer, x_real, z):
        return _update(optimizer, F.softplus(-self.D(x_real)).mean() + F.softplus(self.D(self.G(z))).mean(), True)

    def generator_step(self, optimizer, z):
        return _update(optimizer, F.softplus(-self.D(self.G(z))).mean(), True)


class _LabelsSwapped(ReferenceGAN):  # D taught to call the real digits fake and the fakes real
    diagnosis = "your discriminator calls held-out real digits fake"

    def discriminator_step(self, optimizer, x_real, z):
        return _update(optimizer, F.softplus(self.D(x_real)).mean() + F.softplus(-self.D(self.G(z).detach())).mean())


class _SigmoidOutput(ReferenceGAN):  # G's images in [0, 1], the digits in [-1, 1]
    diagnosis = "your samples never reach the digits' background"
    output = nn.Sigmoid

    def __init__(self):
        super().__init__()
        self.G[-1] = self.output()


class _NoOutputFunction(_SigmoidOutput):  # G's last layer linear: any value at all
    diagnosis = "of your samples' pixels lie outside [-1, 1]"
    output = nn.Identity


# it trains a GAN: about 15 s on 2 idle cores, minutes on a busy laptop; the first four mistakes fail the probes
gan_model = assignment("05 assignment · a DCGAN of your own",
                       test=_test, solution=ReferenceGAN, measured=_measured,
                       mistakes=(_LogOfProbabilities, _CrossEntropyOfProbabilities, _Saturating, _NotDetached,
                                 _LabelsSwapped, _NoOutputFunction, _SigmoidOutput))
