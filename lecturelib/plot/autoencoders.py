"""The figures of notebook 02 (autoencoders): training beside reconstructions, error against code
size, and a 2-D code space with its decoded grid (which notebook 04 reuses for the VAE).
"""

from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from ..train import History
from .curves import plot_history
from .images import show_images
from .planes import scatter_codes


def figure_training_and_images(history: History, rows: dict[str, torch.Tensor], *, ylabel: str,
                               title: str) -> Figure:
    """A training curve beside rows of images (title -> images, one row each)."""
    fig, (ax_loss, ax_images) = plt.subplots(1, 2, figsize=(13, 3.2), gridspec_kw={"width_ratios": [1, 1.4]})
    plot_history(history, ax=ax_loss, ylabel=ylabel, title=title)
    show_images(torch.cat(list(rows.values())), nrow=len(next(iter(rows.values()))), ax=ax_images,
                title=" / ".join(rows))
    fig.tight_layout()
    return fig


def figure_bottleneck(sizes: Sequence[int], errors: dict[str, dict[int, float]],
                      rows: dict[str, torch.Tensor]) -> Figure:
    """Reconstruction error against code size for each method, beside rebuilt digits."""
    fig, (ax_err, ax_rec) = plt.subplots(1, 2, figsize=(13, 3.4), gridspec_kw={"width_ratios": [1, 1.4]})
    for (name, values), marker in zip(errors.items(), ("o-", "s--", "^:")):
        ax_err.plot(sizes, [values[d] for d in sizes], marker, label=name)
    ax_err.set(xscale="log", xlabel="code size D", ylabel="test squared error per digit")
    ax_err.set_title("smaller is better", fontsize=10)
    ax_err.set_xticks(list(sizes), [str(d) for d in sizes])
    ax_err.minorticks_off()
    ax_err.legend(fontsize=8)
    show_images(torch.cat(list(rows.values())), nrow=len(next(iter(rows.values()))), ax=ax_rec,
                title="test digits, then rebuilt from D = " + ", ".join(str(d) for d in sizes) + " numbers")
    fig.tight_layout()
    return fig


def figure_code_space(codes: torch.Tensor, labels: torch.Tensor, decode: Callable[[torch.Tensor], torch.Tensor],
                      point: tuple[float, float], low: Sequence[float] | None = None,
                      high: Sequence[float] | None = None, steps: int = 12, *,
                      grid: torch.Tensor | None = None, grid_title: str = "decoded grid of codes",
                      circles: Sequence[float] = ()) -> Figure:
    """A 2-D code space: the codes of digits (coloured by label) with one point marked, a decoded
    grid of codes (evenly over [low, high], or the given `grid` of steps^2 codes) and the decoded
    point. `circles` draws circles of these radii around 0 (the prior's standard deviations)."""
    fig, (ax_codes, ax_grid, ax_digit) = plt.subplots(1, 3, figsize=(13, 3.7),
                                                      gridspec_kw={"width_ratios": [1.2, 1.2, 0.6]})
    scatter_codes(codes, labels, title="test digits' codes", ax=ax_codes, size=3)
    ax_codes.plot(*point, "kx", ms=14, mew=3)
    for radius in circles:
        ax_codes.add_patch(plt.Circle((0, 0), radius, fill=False, ls=":", color="gray"))
    if circles:
        ax_codes.set(xlim=(-4, 4), ylim=(-4, 4), aspect="equal")
        ax_codes.set_title(f"test digits' codes (circles: {', '.join(map(str, circles))} std)", fontsize=10)
    if grid is None:
        g1, g2 = torch.meshgrid(torch.linspace(low[0], high[0], steps), torch.linspace(high[1], low[1], steps),
                                indexing="xy")
        grid = torch.stack([g1.flatten(), g2.flatten()], 1)
    show_images(decode(grid), nrow=round(len(grid) ** 0.5), padding=0, ax=ax_grid, title=grid_title)
    ax_digit.imshow(decode(torch.tensor([point], dtype=torch.float32))[0, 0], cmap="gray", vmin=0, vmax=1)
    ax_digit.set_axis_off()
    ax_digit.set_title(f"decode({point[0]:.1f}, {point[1]:.1f})", fontsize=10)
    fig.tight_layout()
    return fig
