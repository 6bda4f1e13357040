"""What a recipe is: `Training` (every setting of a run, written to the manifest) and `Recipe`
(config, build, train, evaluate, draw), with `Evidence`, what `evaluate` reads besides the model.
The recipes themselves are in recipes/registry.py."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import torch
from torch import nn


def sample_digits(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """n digits (n, 1, 28, 28) in [0, 1] from a model's own sampler: the default `Recipe.draw`."""
    return model.sample(n, generator=generator)


@dataclasses.dataclass(frozen=True)
class Training:
    """How a checkpoint is trained: every setting, written to the manifest beside the command."""

    epochs: int
    batch_size: int = 128
    lr: float = 1e-3  # Adam's learning rate (both players' for a GAN)
    schedule: str = "constant"  # "cosine": from lr down to 0 over the run (per step)
    dynamic_binarization: bool = False  # a fresh {0, 1} draw of every digit in every batch
    shift: int = 0  # augmentation: move each digit by up to this many pixels, every batch
    ema: float | None = None  # evaluate and ship an exponential moving average of the weights
    with_labels: bool = False  # batches are (x, y), the loss model.loss(x, y) (the classifier)
    seed: int = 0
    hold_out: int = 0  # the last this many training digits are not trained on: a validation loss per epoch
    options: tuple[tuple[str, Any], ...] = ()  # more keywords for the trainer (fit's grad_clip, a GAN's r1_gamma)

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"epochs, batch_size and lr must be positive: {self}")
        if self.schedule not in ("constant", "cosine"):
            raise ValueError(f"schedule must be 'constant' or 'cosine', got {self.schedule!r}")
        if not 0 <= self.hold_out < 8000:
            raise ValueError(f"hold_out is a number of training digits in 0..7999, got {self.hold_out}")
        if self.ema is not None and not 0 < self.ema < 1:
            raise ValueError(f"ema is a decay in (0, 1) or None, got {self.ema}")


@dataclasses.dataclass(frozen=True)
class Evidence:
    """What a recipe's `evaluate(model, evidence)` reads besides the model, gathered once by
    `recipes.measure` as the recipe asks: per-digit test log-likelihoods (for a model that has
    one), its stored or freshly drawn samples as coins (for a metric about samples), and the digit
    classifier (for a Fréchet classifier distance)."""

    log_likelihoods: dict[str, torch.Tensor] | None = None
    samples: torch.Tensor | None = None
    classifier: nn.Module | None = None


@dataclasses.dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    config: Any  # the model's (frozen) config dataclass, as trained
    build: Callable[[Any], nn.Module]  # config -> fresh model
    train: Callable[..., Any]  # (model, training, generator, progress) -> History
    training: Training
    evaluate: Callable[[nn.Module, Evidence], dict[str, float]]  # (model, evidence) -> test metrics
    rtol: float = 1e-3  # re-evaluated metric vs manifest (thread counts change late digits)
    draw: Callable[[nn.Module, int, torch.Generator], torch.Tensor] = sample_digits  # how it makes digits
    # per-digit test log-likelihoods by kind (exact / elbo / iwae100), for models that have one
    test_log_likelihoods: Callable[[nn.Module], dict[str, torch.Tensor]] | None = None
    # too slow to draw 2,000 digits live: they are drawn when the checkpoint is made, and stored
    stored_samples: bool = False
    metric_from_samples: bool = False  # its metric is about FCD_SAMPLES samples (Evidence.samples)
    scored_by_classifier: bool = False  # its metric needs the digit classifier (Evidence.classifier)
