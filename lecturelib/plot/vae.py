"""The figures of notebook 04 (variational autoencoders): naive Monte Carlo estimates of log p(x),
the two terms of the ELBO during training, and how much each latent dimension is used.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..train import History
from .curves import plot_history
from .images import show_images


def plot_naive_estimates(estimates: dict[int, Sequence[float]], reference: float, *,
                         ax: Axes | None = None) -> Axes:
    """Repeated Monte Carlo estimates of log p(x) per number of prior samples S (S -> values),
    against a good estimate (a dashed line)."""
    made = ax is None
    if made:
        _, ax = plt.subplots(figsize=(6.5, 3.1))
    for num_samples, values in estimates.items():
        ax.plot([num_samples] * len(values), values, "o", color="tab:blue", alpha=0.6)
    ax.axhline(reference, color="tab:green", ls="--", label=f"IWAE-1000 estimate: {reference:.1f}")
    repeats = len(next(iter(estimates.values())))
    ax.set(xscale="log", xlabel="prior samples S", ylabel="estimate of log p(x) (nats)")
    ax.set_title(f"naive Monte Carlo from the prior, {repeats} repeats per S", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    if made:
        ax.figure.tight_layout()
    return ax


def figure_terms(history: History, titles: dict[str, str], *, ylabel: str) -> Figure:
    """One panel per logged term (key -> title): per step, and per epoch on validation data."""
    fig, axes = plt.subplots(1, len(titles), figsize=(5.5 * len(titles), 2.8), squeeze=False)
    for ax, (key, title) in zip(axes[0], titles.items()):
        plot_history(history, keys=(key,), ax=ax, ylabel=ylabel)
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def figure_traversals(kl_per_dim: torch.Tensor, images: torch.Tensor, dims: Sequence[int],
                      values: torch.Tensor) -> Figure:
    """How much each latent dimension is used (its mean KL, sorted) beside traversals: one row of
    decoded images per dimension in `dims`, that dimension set to each of `values`."""
    fig, (ax_kl, ax_images) = plt.subplots(1, 2, figsize=(13, 2.9), gridspec_kw={"width_ratios": [1, 1.6]})
    ax_kl.bar(range(len(kl_per_dim)), kl_per_dim.sort(descending=True).values)
    ax_kl.set(xlabel="latent dimension (sorted)", ylabel="mean KL (nats)")
    ax_kl.set_title("how much each dimension is used", fontsize=10)
    show_images(images, nrow=len(values), ax=ax_images,
                title=f"dimensions {', '.join(map(str, dims))}: z_j from {values[0]:.0f} to {values[-1]:+.0f}")
    fig.tight_layout()
    return fig
