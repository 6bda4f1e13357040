"""How the recipes train: `fit` with Adam on the shipped digits as a `Training` says (batch size,
rate schedule, augmentation, dynamic binarization, weight averaging), and `fit_gan` for the
DCGANs; every draw from the recipe's own generator, none from torch's global one."""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import torch
from torch import nn

from ..data import TensorLoader, binarize_dynamic, load_digits, random_shift
from ..models.gan import DCGAN
from ..train import Callback, History, StepSchedule, WeightAverage, default_loss, fit, fit_gan
from .recipe import Training

DCGAN_R1_GAMMA = 1.0  # weight of the R1 penalty in the dcgan recipe (notebook 05 trains live with it too)


def train_on_digits(model: nn.Module, training: Training, generator: torch.Generator,
                    progress: bool = True, *, x: torch.Tensor | None = None,
                    y: torch.Tensor | None = None, val_loader: Any = None,
                    callbacks: Sequence[Callback] = ()) -> History:
    """`fit` with Adam on the 8,000 training digits (or the given x, y), shuffled by
    `generator`, as `training` says; with `training.ema` the model ends with the averaged
    weights (the validation loss of each epoch is the current weights', not the average's). `training.hold_out` keeps the last
    digits out of training as the validation set (its loss logged per epoch); `training.options`
    go to fit (grad_clip)."""
    if x is None:
        x, y = load_digits("train")
    if training.hold_out:
        if val_loader is not None:
            raise ValueError("pass val_loader or a Training with hold_out, not both")
        x, x_val = x[:-training.hold_out], x[-training.hold_out:]
        y, y_val = y[:-training.hold_out], y[-training.hold_out:]
        val_loader = TensorLoader(*((x_val, y_val) if training.with_labels else (x_val,)), batch_size=500)
    transform = _augmentation(training, generator)
    loader = TensorLoader(*((x, y) if training.with_labels else (x,)), batch_size=training.batch_size,
                          shuffle=True, generator=generator, transform=transform)
    optimizer = torch.optim.Adam(model.parameters(), lr=training.lr)
    steps = training.epochs * len(loader)
    extra: list[Callback] = []
    if training.schedule == "cosine":
        extra.append(StepSchedule(torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)))
    if training.ema is not None:
        extra.append(WeightAverage(model, training.ema))
    loss_fn = (lambda m, batch: m.loss(*batch)) if training.with_labels else default_loss
    return fit(model, loader, num_epochs=training.epochs, optimizer=optimizer, progress=progress,
               loss_fn=loss_fn, val_loader=val_loader, callbacks=[*extra, *callbacks],
               **dict(training.options))


def _augmentation(training: Training, generator: torch.Generator) -> Callable | None:
    steps = []
    if training.shift:
        steps.append(lambda x: random_shift(x, training.shift, generator))
    if training.dynamic_binarization:  # the recipe's generator: no draw from the global one
        steps.append(lambda x: binarize_dynamic(x, generator))
    if not steps:
        return None
    return lambda x: functools.reduce(lambda value, step: step(value), steps, x)


def train_gan_on_images(model: DCGAN, x: torch.Tensor, labels: torch.Tensor | None = None, *,
                        num_epochs: int, generator: torch.Generator, batch_size: int = 64,
                        progress: bool = True, **options: Any) -> History:
    """`fit_gan` for a DCGAN on images x in [0, 1] (rescaled to G's [-1, 1] here), shuffled by
    `generator`, which also draws the noise; `labels` for the conditional model. One generator
    step per batch; `options` go to fit_gan (lr, r1_gamma, decay_after, ...)."""
    tensors = (x * 2 - 1,) if labels is None else (x * 2 - 1, labels)
    loader = TensorLoader(*tensors, batch_size=batch_size, shuffle=True, generator=generator,
                          drop_last=True)
    return fit_gan(model.G, model.D, loader.forever(), lambda n: model.noise(n, generator),
                   num_steps=num_epochs * len(loader), progress=progress, **options)


def train_dcgan(model: DCGAN, training: Training, generator: torch.Generator,
                progress: bool = True) -> History:
    """The GAN recipes: every training digit once per epoch, with labels for the conditional
    model; training.options go to fit_gan (r1_gamma, decay_after)."""
    x, y = load_digits("train")
    return train_gan_on_images(model, x, y if model.config.num_classes else None,
                               num_epochs=training.epochs, generator=generator,
                               batch_size=training.batch_size, progress=progress, lr=training.lr,
                               **dict(training.options))
