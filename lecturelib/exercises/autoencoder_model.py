"""Assignment 02 · a convolutional autoencoder of your own: the student writes a whole model, its
convolutional encoder and decoder and its reconstruction loss; the check probes the loss on
confident logits, trains the model with the course's `fit` on the shipped digits and judges how
well it rebuilds the held-out test digits, against PCA with as many numbers per digit.

The model the student writes (notebook 02):

    class MyAutoencoder(nn.Module):
        def __init__(self, latent_dim): ...  # convolutional encoder and decoder
        def encode(self, x): ...             # (B, 1, 28, 28) -> (B, latent_dim)
        def decode(self, z): ...             # (B, latent_dim) -> logits (B, 1, 28, 28)
        def loss(self, x): ...               # cross-entropy of decode(encode(x)) against x

Thresholds were set from runs of the reference answer below over three seeds of the check, with a
margin (each constant says what those runs measured); tests/test_assignment_autoencoder.py shows an
independently written model passing and tests/test_exercises.py each usual mistake failing.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..config import isolated_seed
from ..data import TensorLoader, load_digits
from ..density import PCA
from ..train import fit
from . import NOT_ANSWERED
from .assignments import Measured, assignment, build_model, describe, without_relus
from .logit_probes import bernoulli_nll, fixed_logits_problem

LATENT_DIM = 16  # numbers per digit
NUM_EPOCHS, BATCH_SIZE, LR = 3, 64, 2e-3  # 375 Adam steps over the 8,000 shipped digits
MAX_TEST_LOSS = 92.0  # nats per test digit; correct answers: 84.2-86.4 on seeds 0-2, no ReLUs: 103.6-103.7
# The lecture's claim: a non-linear code beats PCA's subspace with as many numbers. Correct answers
# rebuild the test digits with squared error 11.8-12.5 per digit (0.59-0.62 of PCA's 20.1 with 16
# components) on seeds 0-2; no ReLUs: 17.8-17.9 (0.88-0.89).
MAX_ERROR_VS_PCA = 0.75


class ReferenceAutoencoder(nn.Module):
    """lecturelib's own answer (the tests also use an independent one)."""

    def __init__(self, latent_dim: int):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.ReLU(),  # (B, 32, 14, 14)
            nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.ReLU(),  # (B, 64, 7, 7)
            nn.Flatten(), nn.Linear(64 * 7 * 7, latent_dim))
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),  # (B, 32, 14, 14)
            nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1))  # (B, 1, 28, 28) logits

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.decode(self.encode(x))
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum((1, 2, 3)).mean()


def _shape_problem(model: nn.Module, generator: torch.Generator) -> str | None:
    """Shapes, outputs that are logits, and gradients: cheap, before any training."""
    for method in ("encode", "decode", "loss"):
        if not callable(getattr(model, method, None)):
            return f"your model has no method `{method}`: write encode, decode and loss"
    x = torch.rand(5, 1, 28, 28, generator=generator)
    z = model.encode(x)
    if z is None:
        return NOT_ANSWERED
    if not isinstance(z, torch.Tensor) or z.shape != (5, LATENT_DIM):
        return (f"`encode` should map 5 digits (5, 1, 28, 28) to codes (5, {LATENT_DIM}), the bottleneck; "
                f"got {describe(z)}")
    logits = model.decode(z)
    if logits is None:
        return NOT_ANSWERED
    if not isinstance(logits, torch.Tensor) or logits.shape != (5, 1, 28, 28):
        return f"`decode` should map codes (5, {LATENT_DIM}) to logits (5, 1, 28, 28); got {describe(logits)}"
    if logits.min() >= 0 and logits.max() <= 1:
        return ("your decoder's outputs all lie in [0, 1], as if they were probabilities: `decode` returns "
                "logits (no sigmoid at the end), which the cross-entropy turns into probabilities itself")
    if logits.min() >= 0:
        return ("your decoder's logits are never negative, so no pixel can be darker than grey 0.5: a black "
                "background needs negative logits (no ReLU after the last layer)")
    return None


def _loss_problem(model: nn.Module, generator: torch.Generator) -> str | None:
    """The student's loss, with the decoder replaced by fixed logits: moderate ones, then confident
    ones (+-40, right and wrong), against the check's own cross-entropy; then its gradients."""
    x = torch.rand(6, 1, 28, 28, generator=generator).round()  # black and white pixels
    x[:, :, :14] = torch.rand(6, 1, 14, 28, generator=generator)  # and grey levels
    problem = fixed_logits_problem(
        model, "decode", x, generator, "the decoder",
        averaged="your loss averages over the pixels: a digit's loss is the sum over its 784 pixels",
        wrong=lambda value, want: (f"your loss gives {value:.2f} where the cross-entropy of the decoder's logits "
                                   f"against x, summed over the pixels and averaged over the batch, gives {want:.2f}. "
                                   "Logits are not grey levels: no squared error between them and the pixels."))
    if problem is not None:
        return problem
    loss = model.loss(torch.rand(4, 1, 28, 28, generator=generator))
    model.zero_grad()
    loss.backward()
    silent = [name for name, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
    if silent:
        return (f"no gradient reaches {silent[:3]}: the encoder must learn from the loss too "
                "(no torch.no_grad(), no .detach() on the code)")
    return None


def train_and_measure(answer: Any, generator: torch.Generator, progress: bool = False) -> dict[str, float]:
    """Build the answer's model, train it with `fit` on the 8,000 shipped digits, and measure it on
    the 2,000 test digits: the cross-entropy per digit (the check's own formula), the squared error
    of the rebuilt grey levels, and PCA's with as many components."""
    x_train, _ = load_digits("train")
    x_test, _ = load_digits("test")
    with isolated_seed(int(torch.randint(2**31, (1,), generator=generator))):  # the answer's own draws
        model = answer(LATENT_DIM)
        loader = TensorLoader(x_train, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
        with torch.enable_grad():
            fit(model, loader, num_epochs=NUM_EPOCHS, lr=LR, loss_fn=lambda m, batch: m.loss(batch[0]),
                progress=progress, desc="your autoencoder")
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model.decode(model.encode(x)) for x in x_test.split(500)])
    pca = PCA.fit(x_train.flatten(1), LATENT_DIM)
    rebuilt_by_pca = pca.reconstruct(pca.project(x_test.flatten(1))).clamp(0, 1)
    return {"test loss": bernoulli_nll(logits, x_test).mean().item(),
            "squared error": (torch.sigmoid(logits) - x_test).pow(2).flatten(1).sum(1).mean().item(),
            "PCA": (rebuilt_by_pca - x_test.flatten(1)).pow(2).sum(1).mean().item()}


def judge(measured: dict[str, float]) -> str | None:
    if not all(map(torch.isfinite, torch.tensor(list(measured.values())))):
        return "your model's rebuilt test digits are not finite numbers: did training diverge?"
    if measured["test loss"] > MAX_TEST_LOSS:
        return (f"your trained model rebuilds the test digits with a cross-entropy of {measured['test loss']:.1f} "
                f"nats per digit; a correct convolutional autoencoder stays under {MAX_TEST_LOSS:.0f} after the same "
                "training. Are there non-linearities (ReLU) between the layers, and a code of latent_dim numbers "
                "that both halves use?")
    if measured["squared error"] > MAX_ERROR_VS_PCA * measured["PCA"]:
        return (f"your model rebuilds the test digits with a squared error of {measured['squared error']:.1f} per "
                f"digit, PCA with as many numbers {measured['PCA']:.1f}: a correct non-linear autoencoder is "
                f"clearly better (under {MAX_ERROR_VS_PCA:.0%} of PCA's).")
    return None


_measured = Measured(f"trained with `fit` for {NUM_EPOCHS} epochs on 8,000 digits, a {LATENT_DIM}-number code")


def _test(answer: Any, generator: torch.Generator) -> str | None:
    with isolated_seed(0):  # the untrained model's weights, for the probes
        model, problem = build_model(answer, LATENT_DIM, example="MyAutoencoder")
    problem = problem or _shape_problem(model, generator) or _loss_problem(model, generator)
    if problem is not None:
        return problem
    measured = train_and_measure(answer, generator, progress=True)
    _measured.keep(answer, f"test cross-entropy {measured['test loss']:.1f} nats per digit, squared error "
                           f"{measured['squared error']:.1f} per digit against PCA's {measured['PCA']:.1f} with "
                           f"{LATENT_DIM} numbers")
    return judge(measured)


class _ThroughProbabilities(ReferenceAutoencoder):  # right in exact arithmetic, -inf in float32
    diagnosis = "your loss is inf or nan when the decoder is confident"

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(self.decode(self.encode(x)))
        return -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum((1, 2, 3)).mean()


class _SquaredErrorOnLogits(ReferenceAutoencoder):  # compares logits with grey levels
    diagnosis = "Logits are not grey levels: no squared error"

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return (self.decode(self.encode(x)) - x).pow(2).sum((1, 2, 3)).mean()


class _SigmoidDecoder(ReferenceAutoencoder):  # probabilities out, then a loss that expects logits
    diagnosis = "your decoder's outputs all lie in [0, 1]"

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))


class _FrozenEncoder(ReferenceAutoencoder):  # the code computed without gradients: the encoder never learns
    diagnosis = "no gradient reaches"

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            z = self.encode(x)
        return F.binary_cross_entropy_with_logits(self.decode(z), x, reduction="none").sum((1, 2, 3)).mean()


class _NoNonlinearity(ReferenceAutoencoder):  # every layer linear: a linear code, no better than PCA's
    diagnosis = "your trained model rebuilds the test digits with a cross-entropy"

    def __init__(self, latent_dim: int):
        super().__init__(latent_dim)
        self.encoder, self.decoder = without_relus(self.encoder), without_relus(self.decoder)


# it trains a model: about 7 s on 2 cores, a minute or two on a busy laptop
autoencoder_model = assignment("02 assignment · a convolutional autoencoder of your own",
                               test=_test, solution=ReferenceAutoencoder, measured=_measured,
                               mistakes=(_ThroughProbabilities, _SquaredErrorOnLogits, _SigmoidDecoder, _FrozenEncoder,
                                         _NoNonlinearity))
