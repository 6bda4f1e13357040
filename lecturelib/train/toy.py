"""`train_toy`: the loop of notebook 06's 2-D toys, where every step draws a fresh batch from the
toy's sampler (no loader, no epochs), on the same core as `fit` and `fit_gan`."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..config import isolated_seed
from .callbacks import History, TrainState
from .loop import Run


def train_toy(loss: Callable[[nn.Module, torch.Tensor], torch.Tensor], build: Callable[[], nn.Module],
              sample: Callable[[int, torch.Generator], torch.Tensor], steps: int = 800,
              seed: int = 0, batch_size: int = 256, lr: float = 3e-3, progress: bool = False) -> nn.Module:
    """A fresh net = build(), trained by Adam on loss(net, x) for `steps` fresh batches
    x = sample(batch_size, generator) of a 2-D toy; seeded (the initial weights, the batches, and
    the loss's own noise through torch's global generator, whose state is given back after). Returns
    the net, in eval mode; trains even where gradients were switched off."""
    if steps < 1 or batch_size < 1 or not lr > 0:
        raise ValueError(f"steps and batch_size must be at least 1 and lr above 0, got {steps}, "
                         f"{batch_size} and {lr}")
    with isolated_seed(seed) as generator, torch.enable_grad():
        net = build()
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        state = TrainState(net, optimizer, History())
        with Run(state, (), total=steps, desc=type(net).__name__, progress=progress) as run:
            for _ in range(steps):
                value = loss(net, sample(batch_size, generator))
                optimizer.zero_grad()
                value.backward()
                optimizer.step()
                run.step_done({"loss": value.item()})
        run.finish({type(net).__name__: net}, f"lr={lr:g}", "lower it")
    return net.eval()
