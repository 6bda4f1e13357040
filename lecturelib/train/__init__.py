"""The training loops: `fit` for every model with a loss, `fit_gan` for the two-player game,
`train_toy` for notebook 06's 2-D toys; all three on one core (train/loop.py: progress bar,
clock, callbacks, History, the weights checked to be numbers at the end).

    history = fit(model, loader, num_epochs=3, lr=1e-3)         # train/fit.py
    history = fit_gan(G, D, loader.forever(), noise, num_steps=600)   # train/gan.py
    net = train_toy(loss, build, sample, steps=800, seed=0)     # train/toy.py

Nothing here knows about any particular model: `fit` needs a loss for a batch (`model.loss(x)` by
default), `fit_gan` one step of each player (lecturelib.models.gan's by default). Every loop
takes Callbacks (train/callbacks.py), e.g. `Record(every, fn)` to keep snapshots as training goes;
train/guards.py holds what they refuse (no batch, an empty batch, weights that are not numbers).
"""

from __future__ import annotations

import copy
import time

import torch
from torch import nn

from .callbacks import Callback, History, Record, StepSchedule, TrainState, WeightAverage  # noqa: F401
from .fit import LossFn, default_loss, evaluate, fit, loss_terms  # noqa: F401
from .gan import fit_gan  # noqa: F401
from .toy import train_toy  # noqa: F401


def images_per_second(model: nn.Module, x: torch.Tensor, steps: int = 3) -> float:
    """Training throughput: images per second of `steps` optimizer steps (Adam) of a fresh copy of
    `model` (its weights untouched) on the batch x, after one warm-up step."""
    trial = copy.deepcopy(model).train()
    optimizer = torch.optim.Adam(trial.parameters(), lr=1e-3)
    for step in range(steps + 1):
        if step == 1:  # the first step warms the kernels up: not timed
            start = time.perf_counter()
        loss, _ = loss_terms(default_loss(trial, [x]))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps * len(x) / (time.perf_counter() - start)
