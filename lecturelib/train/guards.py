"""What the training loops check so that a run never ends silently wrong: a loader without a
batch (fit would return a History of 0 steps, fit_gan would wait forever or stop with a bare
StopIteration), a batch without an example (its mean loss is nan), and weights that are no longer
numbers when training stops (one step at a huge learning rate gives a finite loss and then NaN
weights, which the next use of the model would only show as NaN digits).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import torch
from torch import nn


def require_examples(x: torch.Tensor, where: str) -> None:
    """A batch must hold at least one example."""
    if len(x) == 0:
        raise ValueError(f"{where} is empty, shape {tuple(x.shape)}: the mean loss of no examples is nan. "
                         "Check the data (len(x) > 0) and the loader's batch_size and drop_last")


def no_batch(where: str, epoch: int) -> ValueError:
    """The error for a loader that gave no batch in an epoch."""
    if epoch == 0:
        return ValueError(f"{where}: the loader gave no batch, so there is nothing to train on. Check the "
                          "data (len(x) > 0) and batch_size / drop_last (drop_last with fewer examples than "
                          "batch_size leaves none)")
    return ValueError(f"{where}: the loader gave no batch in epoch {epoch}, after batches in epoch 0: it is an "
                      "iterator, used up. Pass something that can be iterated again, e.g. a data.TensorLoader")


def next_real(next_batch: Callable[[], Any], step: int, num_steps: int) -> Any:
    """fit_gan's next real batch, with the end of an iterator said as what to do."""
    try:
        return next_batch()
    except StopIteration:
        raise ValueError(f"fit_gan: `real` ran out of batches at step {step + 1} of {num_steps} (an empty or "
                         "finished iterator). Pass an endless source: loader.forever(), or a function "
                         "that returns a batch") from None


def check_finite_weights(models: Mapping[str, nn.Module], steps: int, rate: str, fix: str) -> None:
    """After training: every floating-point weight and buffer of every model is a number."""
    for name, model in models.items():
        bad = [key for key, value in model.state_dict().items()
               if value.is_floating_point() and not torch.isfinite(value).all()]
        if bad:
            raise FloatingPointError(
                f"after {steps} steps the weights of {name} are no longer numbers (NaN or inf in "
                f"{', '.join(bad[:3])}{', ...' if len(bad) > 3 else ''}): the learning rate ({rate}) is "
                f"probably too high, so a step jumped too far; {fix}")
