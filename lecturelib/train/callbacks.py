"""What the training loops hand around: the History they return, the TrainState every callback
reads, and the callbacks themselves (a Callback's hooks; Record, StepSchedule, WeightAverage).
`lecturelib.train` re-exports them all: `train.Record`, `train.Callback`, ...
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import torch
from torch import nn


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
    """Handed to every callback: everything a callback may read, and `stop` to end training.

    In `fit_gan`, `model` is nn.ModuleDict(G=..., D=...) and `optimizer` a dict {"G": ..., "D": ...}."""

    model: nn.Module
    optimizer: Any
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


class Record(Callback):
    """Keep `fn(state)` every `every` optimizer steps, as (step, value) pairs in `.values`:
    snapshots of samples, a parameter's path, anything to plot after training."""

    def __init__(self, every: int, fn: Callable[[TrainState], Any]):
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.every, self.fn = every, fn
        self.values: list[tuple[int, Any]] = []

    def on_step_end(self, state: TrainState) -> None:
        if state.step % self.every == 0:
            with torch.no_grad():
                self.values.append((state.step, self.fn(state)))


class StepSchedule(Callback):
    """Step a learning-rate scheduler after every optimizer step (e.g. CosineAnnealingLR with
    T_max = the number of steps: from the initial rate down to 0 over the run)."""

    def __init__(self, scheduler: torch.optim.lr_scheduler.LRScheduler):
        self.scheduler = scheduler

    def on_step_end(self, state: TrainState) -> None:
        self.scheduler.step()


class WeightAverage(Callback):
    """An exponential moving average of the weights, updated after every step (`decay` close to
    1: a long memory, reached after a warm-up), which the model takes over when training ends.
    Averaged weights usually score better than the last ones of a noisy run. `.averaged` is the
    averaging model, to evaluate during training."""

    def __init__(self, model: nn.Module, decay: float):
        from torch.optim.swa_utils import AveragedModel

        def average(averaged: torch.Tensor, current: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
            # A short memory at first, growing to `decay`: early weights do not linger in the average.
            rate = min(decay, (1 + count.item()) / (10 + count.item()))
            return rate * averaged + (1 - rate) * current

        self.model = model
        self.averaged = AveragedModel(model, avg_fn=average, use_buffers=True)

    def on_step_end(self, state: TrainState) -> None:
        self.averaged.update_parameters(self.model)

    def on_fit_end(self, state: TrainState) -> None:
        self.model.load_state_dict(self.averaged.module.state_dict())
