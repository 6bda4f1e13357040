"""`fit_gan`: Goodfellow et al.'s Algorithm 1 for any pair of players: `d_steps` calls of
`discriminator_step`, then one `generator_step` (both in lecturelib.models.gan, where the
alternation is spelled out), logging both losses in a History.
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Iterator, Sequence, Union

import torch
from torch import nn

from ..models.gan import discriminator_step, generator_loss_nonsaturating, generator_step, linear_decay
from .callbacks import Callback, History, TrainState
from .guards import next_real, require_examples
from .loop import Run

Batch = Union[torch.Tensor, Sequence[torch.Tensor]]


def fit_gan(G: nn.Module, D: nn.Module, real: Callable[[], Batch] | Iterator[Batch],
            noise: Callable[[int], torch.Tensor], *, num_steps: int, d_steps: int = 1,
            lr: float = 2e-4, lr_D: float | None = None, betas: tuple[float, float] = (0.5, 0.999),
            optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer] | None = None,
            g_loss: Callable[[torch.Tensor], torch.Tensor] = generator_loss_nonsaturating,
            real_target: float = 1.0, r1_gamma: float = 0.0, decay_after: float | None = None,
            d_step: Callable[..., float] | None = None, g_step: Callable[..., float] | None = None,
            callbacks: Sequence[Callback] = (), progress: bool = True, desc: str = "GAN") -> History:
    """Train G and D against each other for `num_steps` generator steps; return the History of
    both losses (history.steps["d_loss"], history.steps["g_loss"]).

    Args:
        real: where real batches come from: a function returning one, or an iterator of them
            (e.g. `loader.forever()`). A batch is x, or (x, labels) for a conditional model;
            the fakes of the discriminator step get the same labels, and so does the generator
            step that follows (a draw from the data's label distribution).
        noise: noise(n) -> z for n fakes.
        d_steps: discriminator steps per generator step (k of Goodfellow et al., Algorithm 1).
        lr, lr_D, betas: Adam for both players (lr_D: D's own rate, default lr), as in Radford
            et al. (2016); or pass `optimizers=(opt_G, opt_D)` to use your own.
        g_loss: the generator's loss on D's logits of its fakes (non-saturating by default).
        real_target, r1_gamma: see `discriminator_step`.
        decay_after: keep both learning rates for this fraction of the steps, then lower them
            linearly to zero (the schedule of Isola et al. 2017's pix2pix).
        d_step, g_step: one step of each player, called as d_step(G, D, opt_D, x_real, z) and
            g_step(G, D, opt_G, z) (plus the labels of a conditional model), returning the loss;
            default `models.gan.discriminator_step` (with real_target and r1_gamma) and
            `generator_step` (with g_loss). Notebook 05's exercises plug in the student's own.
    """
    if num_steps < 1 or d_steps < 1:
        raise ValueError(f"num_steps and d_steps must be at least 1, got {num_steps} and {d_steps}")
    if d_step is not None and (real_target != 1.0 or r1_gamma != 0.0):
        raise ValueError("real_target and r1_gamma configure the default discriminator step; "
                         "with your own d_step, apply them inside it")
    if g_step is not None and g_loss is not generator_loss_nonsaturating:
        raise ValueError("g_loss configures the default generator step; with your own g_step, "
                         "compute the loss inside it")
    d_step = d_step or functools.partial(discriminator_step, real_target=real_target, r1_gamma=r1_gamma)
    g_step = g_step or functools.partial(generator_step, loss_fn=g_loss)
    opt_G, opt_D = optimizers or (torch.optim.Adam(G.parameters(), lr=lr, betas=betas),
                                  torch.optim.Adam(D.parameters(), lr=lr_D or lr, betas=betas))
    schedules = []
    if decay_after is not None:  # LambdaLR evaluates step 0 at once: a bad fraction fails before training
        schedules = [torch.optim.lr_scheduler.LambdaLR(opt, lambda step: linear_decay(step, num_steps, decay_after))
                     for opt in (opt_G, opt_D)]
    next_batch = real if callable(real) else iter(real).__next__
    state = TrainState(nn.ModuleDict({"G": G, "D": D}), {"G": opt_G, "D": opt_D}, History())
    with Run(state, callbacks, total=num_steps, desc=desc, progress=progress) as run:
        G.train()
        D.train()
        for _ in range(num_steps):
            for _ in range(d_steps):
                x_real, labels = _real_and_labels(next_real(next_batch, state.step, num_steps))
                require_examples(x_real, f"the real batch of step {state.step + 1}")
                conditional = () if labels is None else (labels,)
                d_loss = d_step(G, D, opt_D, x_real, noise(len(x_real)), *conditional)
            g_loss_value = g_step(G, D, opt_G, noise(len(x_real)), *conditional)
            for schedule in schedules:
                schedule.step()
            terms = {"d_loss": d_loss, "g_loss": g_loss_value}
            if not all(math.isfinite(v) for v in terms.values()):
                raise FloatingPointError(f"a GAN loss became {terms} at step {state.step + 1}: lower "
                                         "the learning rates")
            if run.step_done(terms, d_loss=f"{d_loss:.3f}", g_loss=f"{g_loss_value:.3f}"):
                break
    rates = {name: opt.param_groups[0].get("initial_lr", opt.param_groups[0]["lr"]) for name, opt in state.optimizer.items()}
    run.finish({"G": G, "D": D}, f"G {rates['G']:g}, D {rates['D']:g}", "lower the rates")
    return state.history


def _real_and_labels(batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None]:
    if isinstance(batch, torch.Tensor):
        return batch, None
    if len(batch) == 1:
        return batch[0], None
    return batch[0], batch[1]
