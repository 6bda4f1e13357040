"""What the check of every whole-model assignment shares (autoencoder_model, pixelcnn_model,
vae_model, gan_model, diffusion_model): the student's class turned into a model or refused with a
clear message, a returned value described for a message, the numbers a passing check measured,
kept to be said when it is put to work, and the Build that holds them, with its usual mistakes."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
from torch import nn

from .harness import NOT_ANSWERED
from .kinds import Build

TRAINING_TIME_LIMIT = 900.0  # seconds to judge an assignment: it trains a model (seconds to minutes)


def describe(value: Any, items: bool = False) -> str:
    """What a student's method returned, for a message: a tensor's shape, else its type; with
    items=True, a tuple or a list item by item."""
    if items and isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of " + ", ".join(describe(item, items) for item in value)
    return f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__


def build_model(answer: Any, *args: Any, example: str,
                checks: Sequence[Callable[[nn.Module], str | None]] = ()) -> tuple[nn.Module | None, str | None]:
    """(the student's model `answer(*args)`, None), or (None, what is wrong): not a class, still
    the stub (NOT_ANSWERED), not an nn.Module, or the first problem one of `checks` finds in the
    built model (checks that need no training). `example` names the class the notebook asks for."""
    if not callable(answer):
        return None, f"pass your class itself (e.g. {example}), an nn.Module subclass; got {type(answer).__name__}"
    model = answer(*args)
    if model is None:
        return None, NOT_ANSWERED
    if not isinstance(model, nn.Module):
        return None, f"your class should be an nn.Module subclass; calling it gave {type(model).__name__}"
    for check in checks:
        problem = check(model)
        if problem is not None:
            return None, problem
    return model, None


class Measured:
    """What each answer's last check measured, kept until the check puts a passing answer to work:
    a Build's `use`, which says "<how it was trained>: <the numbers>."."""

    def __init__(self, trained: str):
        self.trained = trained  # "trained with `fit` for 3 epochs on 8,000 digits"
        self._numbers: dict[int, str] = {}  # id(answer) -> the numbers its last check measured

    def keep(self, answer: Any, numbers: str) -> None:
        self._numbers[id(answer)] = numbers

    def __call__(self, answer: Any) -> str:
        return f"{self.trained}: {self._numbers.pop(id(answer))}."

    def verdict(self, answer: Any, problem: str | None, numbers: str) -> str | None:
        """Keep what the check measured on `answer`, and return its problem (None: passed) with those
        numbers said after it, so a student sees how far off the model is."""
        self.keep(answer, numbers)
        return problem if problem is None or not numbers else f"{problem} (measured: {numbers})"


def without_relus(network: nn.Sequential) -> nn.Sequential:
    """The network with its ReLUs taken out, every layer linear: a usual mistake, in several assignments."""
    return nn.Sequential(*(layer for layer in network if not isinstance(layer, nn.ReLU)))


def assignment(name: str, *, test: Callable[[Any, torch.Generator], str | None], solution: type,
               measured: Measured, mistakes: Sequence[type]) -> Build:
    """The Build of a whole-model assignment: `test` judges the student's class (and keeps what it
    measured in `measured`, said when a passing answer is put to work); each of `mistakes` is a wrong
    class whose `diagnosis` is what the check must say to it (for the tests of the check)."""
    return Build(name=name, test=test, solution=solution, wrong={mistake.diagnosis: mistake for mistake in mistakes},
                 use=measured, time_limit=TRAINING_TIME_LIMIT)
