"""Run settings: the profile (`quick` or `full`), seeding and the device.

The profile is the course's one switch between "load the shipped checkpoint and train briefly"
(`quick`, the default, what students and CI run) and "retrain from scratch" (`full`). It is read
from the environment variable GENMODELS_PROFILE each time it is asked for, never cached, so a
notebook can change it with `os.environ` and see the change.
"""

from __future__ import annotations

import contextlib
import os
import random
from typing import Iterator, TypeVar

import torch
from torch import nn

PROFILES = ("quick", "full")
PROFILE_ENV = "GENMODELS_PROFILE"
T = TypeVar("T")


class ProfileError(ValueError):
    """GENMODELS_PROFILE holds something other than a known profile."""


def get_profile() -> str:
    """The run profile: the value of GENMODELS_PROFILE, `quick` when unset or empty."""
    value = os.environ.get(PROFILE_ENV, "").strip().lower() or "quick"
    if value not in PROFILES:
        raise ProfileError(
            f"{PROFILE_ENV}={os.environ[PROFILE_ENV]!r} is not a profile; use one of "
            f"{', '.join(PROFILES)} (e.g. `export {PROFILE_ENV}=quick`), or unset it for quick."
        )
    return value


def pick(*, quick: T, full: T) -> T:
    """Choose a setting by profile: `num_epochs = pick(quick=2, full=30)`."""
    return quick if get_profile() == "quick" else full


def set_seed(seed: int) -> torch.Generator:
    """Seed Python's and torch's global generators; return a fresh torch.Generator with `seed`.

    The returned generator is for code that wants its own stream of randomness (data splits,
    samplers), so later changes elsewhere in a notebook do not shift it.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA when present
    return seeded(seed)


def seeded(seed: int) -> torch.Generator:
    """A fresh torch.Generator seeded with `seed`: its own stream, leaving global state alone.

    `sample(16, generator=seeded(3))` draws the same 16 digits every time, whatever ran before.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def isolated_seed(seed: int) -> Iterator[torch.Generator]:
    """`with isolated_seed(0) as generator:` runs the block with torch's global generator seeded
    with `seed`, then gives the caller's stream back as it was; the block also gets a fresh
    generator with the same seed.

    For library code that cannot take a generator (a module's initial weights, dropout, a loss
    that draws its own noise): seeded and repeatable inside, invisible outside, so a student's
    `torch.rand` is the same whether or not a check or a recipe ran before it. Only the first
    cell's `set_seed` seeds the global generator for good.
    """
    generator = seeded(seed)  # validates the seed
    with torch.random.fork_rng():  # saves the global state (CPU, and CUDA when present), restores it
        torch.manual_seed(seed)
        yield generator


def get_device(prefer: str | None = None) -> torch.device:
    """The device to compute on: CUDA when present, else the CPU. `prefer="cpu"` forces the CPU.

    Call it once per notebook and pass the result on; the library reads devices from the data
    and the model, never from a global.
    """
    if prefer is not None:
        device = torch.device(prefer)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("prefer='cuda' but no CUDA device is available; use get_device()")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without parameters)."""
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")
