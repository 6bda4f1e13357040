"""The training loops: `fit` for every model with a loss, `fit_gan` for the two-player game.

Nothing in this file knows about any particular model. `fit` needs one thing: a loss for a
batch. By default that is `model.loss(x)` with `x` the first tensor of the batch (every generative
model in the course has a `loss` method); pass `loss_fn(model, batch)` for anything else. A loss
is either a scalar tensor or a named tuple / dataclass whose `loss` field is minimised and whose
other scalar fields (e.g. `recon`, `kl`) are logged too, so each term can be plotted.

    history = fit(model, loader, num_epochs=3, lr=1e-3)
    plot_history(history)

`fit_gan(G, D, real, noise, num_steps=...)` is Goodfellow et al.'s Algorithm 1 for any pair of
players: `d_steps` calls of `discriminator_step`, then one `generator_step` (both in
lecturelib.models.gan, where the alternation is spelled out), logging both losses in a History.
Both loops take Callbacks, e.g. `Record(every, fn)` to keep snapshots as training goes.

`python -m lecturelib.train NAME` (this package's __main__) trains a shipped checkpoint.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from typing import Any, Callable, Iterable, Iterator, Sequence, Union

import torch
from torch import nn
from tqdm.auto import tqdm

from ..config import model_device
from ..models.gan import discriminator_step, generator_loss_nonsaturating, generator_step, linear_decay
from .callbacks import Callback, History, Record, StepSchedule, TrainState, WeightAverage  # noqa: F401 (re-exported)
from .guards import check_finite_weights, next_real, no_batch, require_examples

LossFn = Callable[[nn.Module, Sequence[torch.Tensor]], Any]


def default_loss(model: nn.Module, batch: Sequence[torch.Tensor]) -> Any:
    """`model.loss(x)` on the batch's first tensor: the convention of the course's models."""
    if not hasattr(model, "loss"):
        raise TypeError(f"{type(model).__name__} has no .loss(x) method; pass "
                        "fit(..., loss_fn=lambda model, batch: ...) to say how to compute the loss")
    return model.loss(batch[0])


def loss_terms(output: Any) -> tuple[torch.Tensor, dict[str, float]]:
    """Split a loss output into the tensor to minimise and the scalar terms to log."""
    if isinstance(output, torch.Tensor):
        loss, fields = output, {}
    elif hasattr(output, "_asdict"):  # NamedTuple, e.g. LossTerms(loss, recon, kl)
        fields = output._asdict()
        loss = fields.get("loss")
    elif dataclasses.is_dataclass(output):
        fields = {f.name: getattr(output, f.name) for f in dataclasses.fields(output)}
        loss = fields.get("loss")
    else:
        raise TypeError(f"the loss must be a scalar tensor or a named tuple/dataclass with a "
                        f"'loss' field, got {type(output).__name__}")
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise TypeError("the loss must be a scalar tensor (one number): average over the batch, "
                        f"got {getattr(loss, 'shape', type(loss).__name__)}")
    terms = {"loss": loss.item()}
    for key, value in fields.items():
        if key != "loss" and isinstance(value, torch.Tensor) and value.numel() == 1:
            terms[key] = value.item()
        elif key != "loss" and isinstance(value, (int, float)):
            terms[key] = float(value)
    return loss, terms


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable[Sequence[torch.Tensor]],
             loss_fn: LossFn = default_loss) -> dict[str, float]:
    """Mean of each loss term over a loader, weighted by batch size, in eval mode."""
    was_training = model.training
    model.eval()
    device = model_device(model)
    totals: dict[str, float] = {}
    count = 0
    for batch in loader:
        batch = [t.to(device) for t in batch]
        require_examples(batch[0], "a batch of evaluate()'s loader")
        _, terms = loss_terms(loss_fn(model, batch))
        size = batch[0].shape[0]
        for key, value in terms.items():
            totals[key] = totals.get(key, 0.0) + value * size
        count += size
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate() got an empty loader")
    return {key: total / count for key, total in totals.items()}


def fit(model: nn.Module, train_loader: Iterable[Sequence[torch.Tensor]], *,
        num_epochs: int = 1, max_steps: int | None = None, lr: float = 1e-3,
        optimizer: torch.optim.Optimizer | None = None, loss_fn: LossFn = default_loss,
        val_loader: Iterable[Sequence[torch.Tensor]] | None = None,
        callbacks: Sequence[Callback] = (), grad_clip: float | None = None,
        progress: bool = True, desc: str | None = None) -> History:
    """Train `model` on `train_loader` and return the History.

    Args:
        num_epochs: passes over train_loader.
        max_steps: stop after this many optimizer steps, even mid-epoch (None: no limit).
        lr: learning rate of the default optimizer, Adam; ignored when `optimizer` is given.
        loss_fn: loss_fn(model, batch) -> scalar tensor or named loss terms (see module doc).
        val_loader: evaluated at the end of every epoch; logged as epochs["val_<term>"].
        callbacks: Callback objects, called in order.
        grad_clip: clip the global gradient norm to this value (None: no clipping).
        progress: show a tqdm progress bar with the running loss.
    """
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be at least 1, got {num_epochs}")
    if max_steps is not None and max_steps < 1:
        raise ValueError(f"max_steps must be at least 1 or None, got {max_steps}")
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    state = TrainState(model, optimizer, history)
    device = model_device(model)
    total = num_epochs * len(train_loader) if hasattr(train_loader, "__len__") else None
    if max_steps is not None:
        total = min(total, max_steps) if total is not None else max_steps
    bar = tqdm(total=total, desc=desc or type(model).__name__, disable=not progress,
               unit="step", leave=True)
    start = time.perf_counter()
    for callback in callbacks:
        callback.on_fit_start(state)
    model.train()
    for epoch in range(num_epochs):
        state.epoch = epoch
        sums: dict[str, float] = {}
        seen = 0
        for batch in train_loader:
            batch = [t.to(device) for t in batch]
            require_examples(batch[0], f"batch {seen + 1} of epoch {epoch}")
            loss, terms = loss_terms(loss_fn(model, batch))
            if not math.isfinite(terms["loss"]):
                bar.close()
                raise FloatingPointError(
                    f"the loss became {terms['loss']} at step {state.step}: lower the learning "
                    f"rate (lr={lr}) or set grad_clip")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
            history.log(history.steps, terms)
            for key, value in terms.items():
                sums[key] = sums.get(key, 0.0) + value
            seen += 1
            state.step += 1
            state.terms = terms
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{terms['loss']:.4g}", refresh=False)
            for callback in callbacks:
                callback.on_step_end(state)
            if state.stop or (max_steps is not None and state.step >= max_steps):
                break
        if not seen:  # an empty loader, or an iterator already used up
            bar.close()
            raise no_batch("fit", epoch)
        history.log(history.epochs, {key: value / seen for key, value in sums.items()})
        if val_loader is not None:
            history.log(history.epochs, {f"val_{key}": value for key, value
                                         in evaluate(model, val_loader, loss_fn).items()})
            bar.set_postfix(epoch=epoch, val_loss=f"{history.epochs['val_loss'][-1]:.4g}")
        for callback in callbacks:
            callback.on_epoch_end(state)
        if state.stop or (max_steps is not None and state.step >= max_steps):
            break
    history.seconds = time.perf_counter() - start
    for callback in callbacks:
        callback.on_fit_end(state)
    bar.close()
    rate = f"lr={optimizer.param_groups[0].get('initial_lr', optimizer.param_groups[0]['lr']):g}"
    check_finite_weights({type(model).__name__: model}, state.step, rate, "lower it, or set grad_clip")
    return history


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
    history = History()
    state = TrainState(nn.ModuleDict({"G": G, "D": D}), {"G": opt_G, "D": opt_D}, history)
    bar = tqdm(total=num_steps, desc=desc, disable=not progress, unit="step")
    start = time.perf_counter()
    for callback in callbacks:
        callback.on_fit_start(state)
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
        state.step += 1
        state.terms = {"d_loss": d_loss, "g_loss": g_loss_value}
        if not all(math.isfinite(v) for v in state.terms.values()):
            bar.close()
            raise FloatingPointError(f"a GAN loss became {state.terms} at step {state.step}: lower "
                                     "the learning rates")
        history.log(history.steps, state.terms)
        bar.update(1)
        bar.set_postfix(d_loss=f"{d_loss:.3f}", g_loss=f"{g_loss_value:.3f}", refresh=False)
        for callback in callbacks:
            callback.on_step_end(state)
        if state.stop:
            break
    history.seconds = time.perf_counter() - start
    for callback in callbacks:
        callback.on_fit_end(state)
    bar.close()
    rates = {name: opt.param_groups[0].get("initial_lr", opt.param_groups[0]["lr"]) for name, opt in state.optimizer.items()}
    check_finite_weights({"G": G, "D": D}, state.step, f"G {rates['G']:g}, D {rates['D']:g}", "lower the rates")
    return history


def _real_and_labels(batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None]:
    if isinstance(batch, torch.Tensor):
        return batch, None
    if len(batch) == 1:
        return batch[0], None
    return batch[0], batch[1]


def images_per_second(model: nn.Module, x: torch.Tensor, steps: int = 3) -> float:
    """Training throughput: images per second of `steps` optimizer steps (Adam) of a fresh copy of
    `model` (its weights untouched) on the batch x, after one warm-up step."""
    import copy

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
