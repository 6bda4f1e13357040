"""The core every training loop shares: `fit`, `fit_gan` and `fit_toy` each decide what one step
is; a `Run` does the rest the same way for all three: the progress bar, the clock, the callbacks,
the step count and the History of every step's terms, and at the end the check that the weights
are still numbers.

    run = Run(TrainState(model, optimizer, History()), callbacks, total=steps, desc="VAE")
    with run:
        for batch in batches:
            ...  # one optimizer step, its terms
            if run.step_done(terms, loss=f"{terms['loss']:.4g}"):
                break
    run.finish({"VAE": model}, rate="lr=1e-3", fix="lower it")
"""

from __future__ import annotations

import time
from typing import Mapping, Sequence

from torch import nn
from tqdm.auto import tqdm

from .callbacks import Callback, TrainState
from .guards import check_finite_weights


class Run:
    """One training run: open it with `with`, report each step with `step_done`, end with
    `finish`. The bar closes even when a step raises."""

    def __init__(self, state: TrainState, callbacks: Sequence[Callback], *, total: int | None,
                 desc: str, progress: bool = True):
        self.state = state
        self.callbacks = tuple(callbacks)
        self.bar = tqdm(total=total, desc=desc, disable=not progress, unit="step", leave=True)
        self.start = 0.0

    def __enter__(self) -> Run:
        self.start = time.perf_counter()
        for callback in self.callbacks:
            callback.on_fit_start(self.state)
        return self

    def __exit__(self, kind, error, trace) -> None:
        if error is not None:
            self.bar.close()

    def step_done(self, terms: dict[str, float], **postfix: object) -> bool:
        """Log one step's terms, count it, move the bar, call every `on_step_end`; True when a
        callback asked to stop."""
        state = self.state
        state.history.log(state.history.steps, terms)
        state.step += 1
        state.terms = terms
        self.bar.update(1)
        self.bar.set_postfix(refresh=False, **postfix)
        for callback in self.callbacks:
            callback.on_step_end(state)
        return state.stop

    def epoch_done(self) -> bool:
        """Call every `on_epoch_end`; True when a callback asked to stop."""
        for callback in self.callbacks:
            callback.on_epoch_end(self.state)
        return self.state.stop

    def close_bar(self) -> None:
        self.bar.close()

    def finish(self, players: Mapping[str, nn.Module], rate: str, fix: str) -> None:
        """The run's seconds into the History, every `on_fit_end`, and the weights of every
        player checked to be numbers (naming the rate and the fix if not)."""
        self.state.history.seconds = time.perf_counter() - self.start
        for callback in self.callbacks:
            callback.on_fit_end(self.state)
        self.bar.close()
        check_finite_weights(players, self.state.step, rate, fix)
