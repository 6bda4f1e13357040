"""Images on a page: a batch tiled into one grid, and grids of grids side by side or stacked.

Digits come as tensors (B, 1, H, W) with values in [0, 1]; every notebook shows its samples
through `show_images` (one panel) or one of the `figure_*` layouts built on it.
"""

from __future__ import annotations

import textwrap
from typing import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torchvision.utils import make_grid

from .curves import plot_class_counts


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


def show_image_grid(images: torch.Tensor, *, nrow: int, title: str, width: float = 4.5,
                    ax: Axes | None = None) -> Axes:
    """One titled grid of images, `nrow` to a row; a new figure is `width` inches wide."""
    made = ax is None
    if made:
        rows = -(-len(images) // nrow)
        _, ax = plt.subplots(figsize=(width, width * rows / nrow + 0.4))
    show_images(images, nrow=nrow, ax=ax, title=title)
    if made:
        ax.figure.tight_layout()
    return ax


def figure_image_row(panels: dict[str, torch.Tensor], *, nrow: int = 4, panel_width: float = 2.6,
                     fontsize: float = 9) -> Figure:
    """Several image grids side by side, one per entry of `panels` (title -> images)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(panel_width * len(panels), panel_width + 0.3),
                             squeeze=False)
    for ax, (title, images) in zip(axes[0], panels.items()):
        show_images(images, nrow=nrow, ax=ax, title=title)
        ax.title.set_fontsize(fontsize)
    fig.tight_layout()
    return fig


def figure_image_panels(panels: dict[str, torch.Tensor], captions: dict[str, str] | None = None, *,
                        ncols: int = 5, nrow: int = 4, panel_size: float = 2.8) -> Figure:
    """A grid of image grids: one panel per entry (title -> images), an optional caption line
    under each title; titles too wide for a panel are wrapped."""
    captions = captions or {}
    titles = {title: "\n".join(textwrap.wrap(title, width=max(12, int(panel_size * 12))))
              + (f"\n{captions[title]}" if title in captions else "") for title in panels}
    lines = max(text.count("\n") + 1 for text in titles.values())
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, (panel_size + 0.25 + 0.15 * lines) * nrows),
                             squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_axis_off()
    for ax, (title, images) in zip(axes.flat, panels.items()):
        show_images(images, nrow=nrow, ax=ax, title=titles[title])
    fig.tight_layout()
    return fig


def figure_image_rows(rows: dict[str, torch.Tensor], *, width: float = 6.0) -> Figure:
    """One titled row of images per entry (title -> images (B, 1, H, W)), stacked."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(width, 1.05 * len(rows)), squeeze=False)
    for ax, (title, images) in zip(axes[:, 0], rows.items()):
        show_images(images, nrow=len(images), ax=ax, title=title)
    fig.tight_layout()
    return fig


def figure_digits_and_classes(images: torch.Tensor, labels: torch.Tensor,
                              splits: dict[str, torch.Tensor]) -> Figure:
    """Some digits with their labels, beside the number of digits of each class in each split."""
    fig, axes = plt.subplots(1, 1 + len(splits), figsize=(4.6 + 3.6 * len(splits), 3.4),
                             gridspec_kw={"width_ratios": [1.3] + [1] * len(splits)})
    show_images(images, nrow=8, labels=labels, ax=axes[0], title=f"the first {len(images)} digits")
    for ax, (name, split_labels) in zip(axes[1:], splits.items()):
        plot_class_counts(split_labels, ax=ax, title=f"{name}: digits per class")
    fig.tight_layout()
    return fig
