"""The figures of notebook 07 (normalizing flows): the change of variables against a histogram,
in 1-D and in 2-D, and the likelihood of a pixel's grey levels as a density narrows."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def plot_change_of_variables(samples: torch.Tensor, grid: torch.Tensor, formula: torch.Tensor,
                             without_jacobian: torch.Tensor, *, bins: int = 120, ax: Axes | None = None) -> Axes:
    """A histogram of samples x = f(z) (as a density), the change-of-variables density on `grid`,
    and the same without its Jacobian factor."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.0))
    lo, hi = grid.min().item(), grid.max().item()
    ax.hist(samples.numpy(), bins=bins, range=(lo, hi), density=True, color="0.8",
            label=f"histogram of {len(samples):,} samples x = f(z)")
    ax.plot(grid, formula, color="tab:blue", lw=2, label=r"$p_z(f^{-1}(x))\,|df^{-1}/dx|$")
    ax.plot(grid, without_jacobian, color="tab:red", lw=1.5, ls="--", label=r"$p_z(f^{-1}(x))$ alone")
    ax.set(xlabel="x", ylabel="density", xlim=(lo, hi))
    ax.legend(fontsize=8, loc="upper left")
    return ax


def figure_change_of_variables_2d(samples: torch.Tensor, formula: torch.Tensor,
                                  extent: tuple[float, float, float, float], bins: int = 60) -> Figure:
    """Left: a 2-D histogram of samples (as a density); right: the change-of-variables density,
    `formula` (bins, bins) on the same grid (rows: y, columns: x)."""
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.6), sharex=True, sharey=True)
    x0, x1, y0, y1 = extent
    counts = torch.histogramdd(samples, bins=[bins, bins], range=[x0, x1, y0, y1], density=True).hist
    top = max(counts.max().item(), formula.max().item())
    for ax, image, title in ((axes[0], counts.T, f"histogram of {len(samples):,} samples"),
                             (axes[1], formula, "change of variables")):
        ax.imshow(image, origin="lower", extent=extent, cmap="viridis", vmin=0, vmax=top, aspect="auto")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("$x_1$")
    axes[0].set_ylabel("$x_2$")
    fig.tight_layout(w_pad=2.0)
    return fig


def plot_level_likelihoods(widths: Sequence[float], curves: dict[str, Sequence[float]], *, discrete: float,
                           ylim: tuple[float, float] | None = None, ax: Axes | None = None) -> Axes:
    """Mean log-likelihood per pixel value against the width of a density's bumps (log x), one line
    per way of scoring, and the discrete histogram's log-probability as a dashed line; `ylim` cuts
    off values too low to show (a line leaves the panel there)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.1))
    for name, values in curves.items():
        ax.plot(widths, values, "o-", ms=3, lw=1.6, label=name)
    ax.axhline(discrete, color="k", ls="--", lw=1, label="log P(k): the histogram of the 256 levels")
    ax.set_xscale("log")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xlabel="width of each bump (grey levels)", ylabel="mean log-likelihood (nats)")
    if ylim:
        ax.set_ylim(*ylim)
    ax.legend(fontsize=8)
    return ax
