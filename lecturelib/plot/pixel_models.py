"""The figures of notebook 03 (PixelRNN and PixelCNN): the chain rule on one digit, the masks,
receptive fields and their blind spot, generation replayed pixel by pixel, and completions of
half-hidden digits.
"""

from __future__ import annotations

import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .images import show_images


def figure_chain_rule(digit: torch.Tensor, probs: torch.Tensor, pixel: tuple[int, int] = (14, 12)) -> Figure:
    """One digit (1, 1, H, W) under an autoregressive model: the context of one pixel, the digit,
    p(x_i = 1 | x_<i) of every pixel, and what each pixel costs, -log p(x_i | x_<i)."""
    x, p = digit[0, 0].cpu(), probs[0, 0].cpu()
    cost = -(x * p.log() + (1 - x) * (1 - p).log())
    row, col = pixel
    context = torch.zeros_like(x)
    context.view(-1)[:row * x.shape[1] + col] = 1  # the pixels before (row, col) in raster order
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.3))
    axes[0].imshow(0.35 * context + 0.65 * x, cmap="Blues", vmin=0, vmax=1)
    axes[0].add_patch(plt.Rectangle((col - 0.5, row - 0.5), 1, 1, color="red"))
    axes[1].imshow(x, cmap="gray_r")
    fig.colorbar(axes[2].imshow(p, cmap="viridis", vmin=0, vmax=1), ax=axes[2], fraction=0.046)
    fig.colorbar(axes[3].imshow(cost, cmap="magma"), ax=axes[3], fraction=0.046)
    titles = ["predict the red pixel\nfrom the shaded ones before it", "a test digit x",
              "p(x_i = 1 | x_<i)", f"-log p(x_i | x_<i): sum = {cost.sum():.1f} nats"]
    for ax, title in zip(axes, titles):
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def figure_masks(masks: dict[str, torch.Tensor]) -> Figure:
    """Masks as grids of 0s and 1s, the centre (the position being computed) outlined in red."""
    fig, axes = plt.subplots(1, len(masks), figsize=(3.3 * len(masks), 3.2),
                             gridspec_kw={"width_ratios": [m.shape[1] for m in masks.values()]})
    for ax, (title, mask) in zip(axes, masks.items()):
        ax.imshow(mask, cmap="Blues", vmin=-0.3, vmax=1.3)
        kh, kw = mask.shape
        ax.add_patch(plt.Rectangle((kw // 2 - 0.5, kh // 2 - 0.5), 1, 1, fill=False, ec="red", lw=2))
        for (r, c), value in zip(itertools.product(range(kh), range(kw)), mask.flatten().tolist()):
            ax.text(c, r, int(value), ha="center", va="center", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def figure_receptive_fields(seen: dict[str, torch.Tensor], row: int, col: int, reach: int) -> Figure:
    """Which input pixels an output depends on (boolean maps (H, W) by model): blue = yes,
    red = no though within `reach` rows above and columns to either side (a blind spot),
    grey = out of reach, white = at or after the output in raster order (must not be seen)."""
    colours = matplotlib.colors.ListedColormap(["white", "#dddddd", "tab:red", "tab:blue", "black"])
    fig, axes = plt.subplots(1, len(seen), figsize=(4.3 * len(seen), 4.2))
    for ax, (name, mask) in zip(axes, seen.items()):
        height, width = mask.shape
        position = torch.arange(height * width).view(height, width)
        past = position < row * width + col
        near = torch.zeros_like(past)
        near[max(0, row - reach):row + 1, max(0, col - reach):col + reach + 1] = True
        picture = torch.full_like(position, 1)  # out of reach
        picture[~past] = 0
        picture[past & near & ~mask] = 2
        picture[mask] = 3
        picture[row, col] = 4
        ax.imshow(picture, cmap=colours, vmin=0, vmax=4)
        ax.add_patch(plt.Rectangle((col - reach - 0.5, row - reach - 0.5), 2 * reach + 1, reach + 1,
                                   fill=False, ls="--", ec="gray"))
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"{name}\n{(past & near & ~mask).sum().item()} unseen past pixels in the box", fontsize=10)
    fig.suptitle(f"the logit of pixel ({row}, {col}) (black) depends on: blue = yes; red = no, though in "
                 "reach (blind spot);\ngrey = no, out of reach; white = at or after it, which it must not see",
                 fontsize=10)
    fig.tight_layout()
    return fig


def figure_generation(samples: torch.Tensor, probs: torch.Tensor, step: int, shown: int = 6) -> Figure:
    """Pixel-by-pixel generation replayed: after `step` pixels, the pixels drawn so far (top) and
    the probability each was drawn with (bottom); the next pixel in red."""
    height, width = samples.shape[-2:]
    hidden = torch.arange(height * width).view(height, width) >= step
    fig, axes = plt.subplots(2, shown, figsize=(2 * shown, 4.3))
    drawn_map = matplotlib.colormaps["gray_r"].with_extremes(bad="#cfe3f5")
    prob_map = matplotlib.colormaps["viridis"].with_extremes(bad="#eeeeee")
    for k in range(shown):
        axes[0, k].imshow(_numpy_masked(samples[k, 0], hidden), cmap=drawn_map, vmin=0, vmax=1)
        axes[1, k].imshow(_numpy_masked(probs[k, 0], hidden), cmap=prob_map, vmin=0, vmax=1)
        for ax in axes[:, k]:
            if step < height * width:
                r, c = divmod(step, width)
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color="red"))
            ax.set_xticks([]), ax.set_yticks([])
    axes[0, 0].set_ylabel("pixels drawn")
    axes[1, 0].set_ylabel("p(x_i = 1 | x_<i)")
    fig.suptitle(f"after {step} of {height * width} pixels (red: the next one; blue/grey: not drawn yet)",
                 fontsize=11)
    fig.tight_layout()
    return fig


def _numpy_masked(image: torch.Tensor, mask: torch.Tensor) -> np.ma.MaskedArray:
    """A numpy masked array of an image (H, W), hiding where mask is True (for imshow)."""
    return np.ma.masked_array(image.cpu().numpy(), mask=mask.cpu().numpy())


def figure_completions(panels: dict[str, tuple[torch.Tensor, int]], originals: torch.Tensor,
                       per_digit: int) -> Figure:
    """Completions of half-hidden digits, one panel per entry (title -> (completions, rows
    given)); per row of a panel: the original, what the model was given (grey = hidden), then
    `per_digit` completions of that digit."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 6.2), squeeze=False)
    for ax, (title, (completed, rows_given)) in zip(axes[0], panels.items()):
        hidden = originals.clone()
        hidden[:, :, rows_given:] = 0.5
        shown = completed.view(len(originals), per_digit, *completed.shape[1:])
        grid = torch.cat([originals[:, None], hidden[:, None], shown], dim=1).flatten(0, 1)
        show_images(grid, nrow=per_digit + 2, ax=ax, title=title)
    fig.text(0.5, 0.01, "each panel, per row: original, what the model sees (grey = hidden), "
             f"{per_digit} completions", ha="center", fontsize=10)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig
