"""`fit`: the training loop of every model with a loss, and `evaluate`, its mean over a loader.

`fit` needs one thing: a loss for a batch. By default that is `model.loss(x)` with `x` the first
tensor of the batch (every generative model in the course has a `loss` method); pass
`loss_fn(model, batch)` for anything else. A loss is either a scalar tensor or a named tuple /
dataclass whose `loss` field is minimised and whose other scalar fields (e.g. `recon`, `kl`) are
logged too, so each term can be plotted.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Iterable, Sequence

import torch
from torch import nn

from ..config import model_device
from .callbacks import Callback, History, TrainState
from .guards import no_batch, require_examples
from .loop import Run

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
    state = TrainState(model, optimizer, History())
    device = model_device(model)
    total = num_epochs * len(train_loader) if hasattr(train_loader, "__len__") else None
    if max_steps is not None:
        total = min(total, max_steps) if total is not None else max_steps
    run = Run(state, callbacks, total=total, desc=desc or type(model).__name__, progress=progress)
    with run:
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
                    raise FloatingPointError(
                        f"the loss became {terms['loss']} at step {state.step}: lower the learning "
                        f"rate (lr={lr}) or set grad_clip")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                optimizer.step()
                for key, value in terms.items():
                    sums[key] = sums.get(key, 0.0) + value
                seen += 1
                if run.step_done(terms, epoch=epoch, loss=f"{terms['loss']:.4g}") or \
                        (max_steps is not None and state.step >= max_steps):
                    break
            if not seen:  # an empty loader, or an iterator already used up
                raise no_batch("fit", epoch)
            state.history.log(state.history.epochs, {key: value / seen for key, value in sums.items()})
            if val_loader is not None:
                state.history.log(state.history.epochs, {f"val_{key}": value for key, value
                                                         in evaluate(model, val_loader, loss_fn).items()})
                run.bar.set_postfix(epoch=epoch, val_loss=f"{state.history.epochs['val_loss'][-1]:.4g}")
            if run.epoch_done() or (max_steps is not None and state.step >= max_steps):
                break
    rate = f"lr={optimizer.param_groups[0].get('initial_lr', optimizer.param_groups[0]['lr']):g}"
    run.finish({type(model).__name__: model}, rate, "lower it, or set grad_clip")
    return state.history
