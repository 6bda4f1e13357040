"""Pictures of a plane: a 2-D log-density as filled contours, 2-D codes coloured by label, and
trajectories from start to end.

Each function draws one panel on the Axes it is given (a new figure when `ax` is None) and
returns that Axes.
"""

from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes


def plot_density_2d(log_prob: Callable[[torch.Tensor], torch.Tensor], *,
                    extent: tuple[float, float, float, float], ax: Axes | None = None,
                    resolution: int = 150, points: torch.Tensor | None = None,
                    title: str | None = None, floor: float = -12.0) -> Axes:
    """Filled contours of a 2-D log-density on a grid, optionally with points on top.

    `log_prob` maps (M, 2) points to (M,) log-densities; `extent` is (xmin, xmax, ymin, ymax).
    Values below `floor` are clipped so empty regions do not swamp the colour scale. The colour
    bar takes its room from `ax`.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3.6))
    xmin, xmax, ymin, ymax = extent
    gx, gy = torch.meshgrid(torch.linspace(xmin, xmax, resolution),
                            torch.linspace(ymin, ymax, resolution), indexing="xy")
    grid = torch.stack([gx.flatten(), gy.flatten()], 1)  # (M, 2)
    with torch.no_grad():
        values = log_prob(grid).reshape(resolution, resolution).clamp_min(floor).cpu()
    filled = ax.contourf(gx.numpy(), gy.numpy(), values.numpy(), levels=20, cmap="viridis")
    ax.figure.colorbar(filled, ax=ax, label="log p(x)")
    if points is not None:
        ax.scatter(points[:, 0].cpu(), points[:, 1].cpu(), s=3, c="white", alpha=0.6, lw=0)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def scatter_codes(codes: torch.Tensor, labels: torch.Tensor, *, title: str, ax: Axes | None = None,
                  xlabel: str = "z1", ylabel: str = "z2", size: float = 4) -> Axes:
    """2-D codes of digits, coloured by their labels (which the method never saw)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.4, 4))
    scatter = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=size)
    ax.legend(*scatter.legend_elements(), title="digit", fontsize=7, loc="upper right", ncol=2)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.set_title(title, fontsize=10)
    return ax


def plot_paths_2d(paths: dict[str, torch.Tensor], *, xlabel: str, ylabel: str, title: str,
                  ax: Axes | None = None) -> Axes:
    """Trajectories (T, 2) in a plane, each from its start (circle) to its end (cross)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.2))
    for name, path in paths.items():
        line, = ax.plot(path[:, 0], path[:, 1], lw=1.2, label=name)
        ax.plot(path[0, 0], path[0, 1], "o", color=line.get_color())
        ax.plot(path[-1, 0], path[-1, 1], "x", color=line.get_color(), ms=9, mew=2)
    ax.plot(0, 0, "*", color="k", ms=12, label="equilibrium")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, aspect="equal")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax
