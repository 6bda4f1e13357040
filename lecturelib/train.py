"""One generic training loop, used by every model in the course.

Nothing in this file knows about any particular model. The loop needs one thing: a loss for a
batch. By default that is `model.loss(x)` with `x` the first tensor of the batch (every generative
model in the course has a `loss` method); pass `loss_fn(model, batch)` for anything else. A loss
is either a scalar tensor or a named tuple / dataclass whose `loss` field is minimised and whose
other scalar fields (e.g. `recon`, `kl`) are logged too, so each term can be plotted.

    history = fit(model, loader, num_epochs=3, lr=1e-3)
    plot_history(history)

GAN training does not use this loop: its alternating discriminator and generator steps are the
lesson, so they stay explicit in lecturelib.models.gan.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable, Iterable, Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

LossFn = Callable[[nn.Module, Sequence[torch.Tensor]], Any]


@dataclasses.dataclass
class History:
    """What fit() measured: per-step values, per-epoch means, wall time.

    steps["loss"][i] is the training loss of optimizer step i; epochs["loss"][e] its mean over
    epoch e, and epochs["val_loss"][e] the mean over the validation loader (when given).
    """

    steps: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    epochs: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0

    @property
    def num_steps(self) -> int:
        return len(self.steps.get("loss", []))

    def log(self, table: dict[str, list[float]], terms: dict[str, float]) -> None:
        for key, value in terms.items():
            table.setdefault(key, []).append(value)


@dataclasses.dataclass
class TrainState:
    """Handed to every callback: everything a callback may read, and `stop` to end training."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    history: History
    epoch: int = 0
    step: int = 0
    terms: dict[str, float] = dataclasses.field(default_factory=dict)
    stop: bool = False


class Callback:
    """Override any of these hooks; each gets the TrainState. Set `state.stop = True` to stop."""

    def on_fit_start(self, state: TrainState) -> None: ...
    def on_step_end(self, state: TrainState) -> None: ...
    def on_epoch_end(self, state: TrainState) -> None: ...
    def on_fit_end(self, state: TrainState) -> None: ...


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


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


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
        if seen:
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
    return history


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m lecturelib.train NAME`: train a shipped checkpoint from scratch and record it."""
    import argparse

    from .recipes import RECIPES, make_checkpoint

    parser = argparse.ArgumentParser(
        prog="python -m lecturelib.train",
        description="Train a model of the course from scratch on the shipped digits, evaluate it "
                    "on the test split, and write data/checkpoints/NAME.pt with its manifest entry.")
    parser.add_argument("name", nargs="?", choices=sorted(RECIPES), metavar="NAME",
                        help="one of: " + ", ".join(sorted(RECIPES)))
    parser.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--root", help="checkpoint folder (default data/checkpoints)")
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    args = parser.parse_args(argv)
    if args.list or args.name is None:
        for name, recipe in sorted(RECIPES.items()):
            print(f"{name:<24} {recipe.description} ({recipe.num_epochs} epochs)")
        return
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    metric = make_checkpoint(args.name, num_epochs=args.epochs, seed=args.seed, root=args.root)
    print(f"{args.name}: " + ", ".join(f"{k} = {v:.4f}" for k, v in metric.items()))


if __name__ == "__main__":
    main()
