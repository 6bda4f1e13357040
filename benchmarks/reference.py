"""The reference workload: a fixed amount of work, timed in the same run as every benchmark, so
that times taken on different days (an idle machine, a busy one) compare by their ratio to it.

    python benchmarks/reference.py          # prints its seconds on this machine, now

The work: REFERENCE_STEPS Adam steps of a fixed small convolutional network (defined here, not
in lecturelib, so that no change to the course changes it) on a fixed batch of 64 images of
28 x 28, with torch's default threads, as the notebooks run. The median of REPEATS runs, after one
warm-up step. `make bench-notebooks` times it before and after the notebooks, `make bench` before
the models, and each table gives a time beside its ratio to the reference (seconds / reference
seconds): the course's budgets hold on a busy day when the ratios do.
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

REFERENCE_STEPS = 40
REPEATS = 3


def _network() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, stride=2, padding=1),
                         nn.ReLU(), nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 10))


def _one_run() -> float:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 28, 28, generator=generator)
    y = torch.randint(0, 10, (64,), generator=generator)
    with torch.random.fork_rng():  # the network's initial weights, without touching anyone's stream
        torch.manual_seed(0)
        net = _network()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    for step in range(REFERENCE_STEPS + 1):
        if step == 1:  # the first step warms the kernels up: not timed
            start = time.perf_counter()
        loss = nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def reference_seconds() -> float:
    """Seconds of the reference workload on this machine now: the median of REPEATS runs."""
    with torch.enable_grad():
        return statistics.median(_one_run() for _ in range(REPEATS))


if __name__ == "__main__":
    print(f"reference workload: {reference_seconds():.3f} s ({REFERENCE_STEPS} steps, "
          f"{torch.get_num_threads()} threads)")
