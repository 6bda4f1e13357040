"""Figures used across the notebooks: image grids, loss curves, class counts, densities, trees.

Each function draws on a matplotlib Axes (a new figure when `ax` is None) and returns it, so a
notebook can combine several in one figure and a test can inspect what was drawn.
"""

from __future__ import annotations

from typing import Callable, Sequence, Union

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from torchvision.utils import make_grid

from .train import History


def image_grid(x: torch.Tensor, nrow: int = 8, padding: int = 2, pad_value: float = 0.5) -> torch.Tensor:
    """Tile images (B, C, H, W) or (B, H, W) with values in [0, 1] into one (H', W', C) image."""
    if x.dim() == 3:
        x = x.unsqueeze(1)  # (B, H, W) -> (B, 1, H, W)
    if x.dim() != 4:
        raise ValueError(f"expected images of shape (B, C, H, W) or (B, H, W), got {tuple(x.shape)}")
    grid = make_grid(x.detach().float().cpu().clamp(0, 1), nrow=nrow, padding=padding,
                     pad_value=pad_value)  # (3, H', W'): make_grid repeats a single channel
    return grid.permute(1, 2, 0)  # (H', W', 3) for imshow


def show_images(x: torch.Tensor, *, nrow: int = 8, title: str | None = None, ax: Axes | None = None,
                labels: Sequence | None = None, padding: int = 2) -> Axes:
    """Show a batch of images as a grid; `labels` (one per image) are written under the title."""
    if ax is None:
        num_rows = -(-x.shape[0] // nrow)
        _, ax = plt.subplots(figsize=(min(nrow, x.shape[0]) * 0.6 + 0.4, num_rows * 0.6 + 0.6))
    ax.imshow(image_grid(x, nrow=nrow, padding=padding).numpy(), interpolation="nearest")
    ax.set_axis_off()
    if labels is not None:
        rows = [" ".join(str(int(v)) for v in labels[i:i + nrow]) for i in range(0, len(labels), nrow)]
        title = (title + "\n" if title else "") + "labels: " + " / ".join(rows)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_history(history: History, keys: Sequence[str] = ("loss",), *, ax: Axes | None = None,
                 ylabel: str = "loss", logy: bool = False) -> Axes:
    """Plot per-step training terms and, where present, the per-epoch validation terms.

    Validation points are drawn at the step where their epoch ended, so both share one x axis.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    steps_per_epoch = history.num_steps / max(1, len(history.epochs.get("loss", [])))
    for key in keys:
        if key in history.steps:
            ax.plot(history.steps[key], lw=1, label=f"train {key} (per step)")
        val = history.epochs.get(f"val_{key}")
        if val:
            at = [round((e + 1) * steps_per_epoch) for e in range(len(val))]
            ax.plot(at, val, "o-", label=f"validation {key} (per epoch)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_class_counts(labels: torch.Tensor, *, ax: Axes | None = None, title: str | None = None,
                      num_classes: int = 10) -> Axes:
    """A bar chart of how many examples each class has, with the count on each bar."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 2.6))
    counts = torch.bincount(labels.cpu(), minlength=num_classes).tolist()
    bars = ax.bar(range(num_classes), counts, color="tab:blue")
    ax.bar_label(bars, fontsize=7)
    ax.set_xticks(range(num_classes))
    ax.set_xlabel("class")
    ax.set_ylabel("count")
    ax.set_ylim(0, max(counts) * 1.15)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_density_2d(log_prob: Callable[[torch.Tensor], torch.Tensor], *,
                    extent: tuple[float, float, float, float], ax: Axes | None = None,
                    resolution: int = 150, points: torch.Tensor | None = None,
                    title: str | None = None, floor: float = -12.0) -> Axes:
    """Filled contours of a 2-D log-density on a grid, optionally with points on top.

    `log_prob` maps (M, 2) points to (M,) log-densities; `extent` is (xmin, xmax, ymin, ymax).
    Values below `floor` are clipped so empty regions do not swamp the colour scale.
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
    plt.colorbar(filled, ax=ax, label="log p(x)")
    if points is not None:
        ax.scatter(points[:, 0].cpu(), points[:, 1].cpu(), s=3, c="white", alpha=0.6, lw=0)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


TreeNode = Union[str, tuple[str, Sequence["TreeNode"]]]


def plot_tree(tree: TreeNode, *, ax: Axes | None = None, colors: dict[str, str] | None = None,
              fontsize: float = 8) -> Axes:
    """Draw a tree top-down: the root at the top, one row per depth, the leaves spread evenly from
    left to right and each parent centred over its children.

    A node is a label (a leaf) or (label, children); labels may span several lines. `colors`
    maps a node's label to its box colour (others are light grey)."""
    colors = colors or {}
    boxes: list[tuple[str, float, int]] = []  # (label, x, depth)
    edges: list[tuple[float, int, float, int]] = []  # parent (x, depth) -> child (x, depth)
    next_leaf = [0.0]

    def place(node: TreeNode, depth: int) -> float:
        label, children = node if isinstance(node, tuple) else (node, ())
        if children:
            xs = [place(child, depth + 1) for child in children]
            x = (xs[0] + xs[-1]) / 2
            edges.extend((x, depth, child_x, depth + 1) for child_x in xs)
        else:
            x, next_leaf[0] = next_leaf[0], next_leaf[0] + 1
        boxes.append((label, x, depth))
        return x

    place(tree, 0)
    width, depth = max(x for _, x, _ in boxes), max(d for _, _, d in boxes)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.1 * (width + 1), 1.5 * (depth + 1)))
    for x0, d0, x1, d1 in edges:
        ax.plot([x0, x1], [-d0, -d1], color="0.55", lw=1, zorder=1)
    for label, x, d in boxes:
        ax.text(x, -d, label, ha="center", va="center", fontsize=fontsize, zorder=2,
                bbox=dict(boxstyle="round,pad=0.4", fc=colors.get(label, "0.93"), ec="0.5"))
    ax.set_xlim(-0.6, width + 0.6)
    ax.set_ylim(-depth - 0.6, 0.5)
    ax.set_axis_off()
    return ax
