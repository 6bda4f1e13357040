"""The figures of notebook 05 (GANs): the optimal discriminator, the two generator losses and
their gradients, where a 1-D generator goes under each optimizer, mode coverage on a ring of
Gaussians, and a walk through latent space.
"""

from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .images import show_images


def plot_optimal_discriminator(line: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor,
                               d_star: torch.Tensor, d_learned: torch.Tensor, *,
                               ax: Axes | None = None) -> Axes:
    """A 1-D game: both densities, the optimal discriminator and a trained one, along `line`."""
    made = ax is None
    if made:
        _, ax = plt.subplots(figsize=(8, 3.1))
    ax.plot(line, p_data, "k--", lw=1, label="p_data")
    ax.plot(line, p_g, color="tab:orange", lw=1, label="p_g (KDE of G's samples)")
    ax.plot(line, d_star, color="tab:green", lw=4, alpha=0.5, label="D* = p_data / (p_data + p_g)")
    ax.plot(line, d_learned, color="tab:blue", lw=1.5, label="trained D")
    ax.set(xlabel="x", ylim=(0, 1.25))
    ax.set_title("the trained discriminator against the optimal one", fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    if made:
        ax.figure.tight_layout()
    return ax


def figure_generator_losses(d_of_g: torch.Tensor, curves: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> Figure:
    """Generator losses and the size of their gradients against D(G(z)) (name -> (loss, grad))."""
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 3.1))
    for name, (values, gradient) in curves.items():
        ax_loss.plot(d_of_g, values, label=name)
        ax_grad.plot(d_of_g, gradient.abs(), label=name)
    ax_loss.set(xlabel="D(G(z))", ylabel="generator loss")
    ax_loss.set_title("the two generator losses", fontsize=10)
    ax_grad.set(xlabel="D(G(z))", ylabel="|d loss / d logit|")
    ax_grad.set_title("their gradients: one vanishes at D(G(z)) -> 0", fontsize=10)
    ax_loss.legend(fontsize=8)
    fig.tight_layout()
    return fig


def figure_gan_paths(paths: dict[tuple, tuple[list, list]], *, target: float) -> Figure:
    """Where a 1-D generator's samples are (their mean) over training: one panel per optimizer,
    one colour per loss, one line per seed. `paths` maps (optimizer, loss, seed) -> (steps, means)."""
    optimizers = list(dict.fromkeys(key[0] for key in paths))
    losses = list(dict.fromkeys(key[1] for key in paths))
    fig, axes = plt.subplots(1, len(optimizers), figsize=(5.2 * len(optimizers), 3.1), sharey=True, squeeze=False)
    for ax, optimizer in zip(axes[0], optimizers):
        for colour, loss in zip(("tab:red", "tab:blue", "tab:green"), losses):
            for i, ((opt, name, _), (steps, means)) in enumerate((k, v) for k, v in paths.items() if k[:2] == (optimizer, loss)):
                ax.plot(steps, means, color=colour, alpha=0.8, label=name if i == 0 else None)
        ax.axhline(target, color="k", ls="--", lw=1, label="data mean")
        ax.set(xlabel="generator step", title=optimizer)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("mean of G's samples")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def figure_ring_runs(runs: dict[tuple[str, int], list], centres: torch.Tensor,
                     modes_covered: Callable[[torch.Tensor], int], *, shown: Sequence[int] = (0, 3, 7, -1)) -> Figure:
    """Ring-of-Gaussians GAN runs: for seed 0 of every setting, samples at a few snapshots (one row
    per setting); on the right, modes covered over training for every run. `runs` maps
    (setting, seed) -> [(step, samples (n, 2)), ...]."""
    settings = list(dict.fromkeys(name for name, _ in runs))
    fig = plt.figure(figsize=(14, 2.6 * len(settings)))
    grid = fig.add_gridspec(len(settings), len(shown) + 2)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ax_modes = fig.add_subplot(grid[:, len(shown):])
    for row, setting in enumerate(settings):
        snapshots = runs[setting, 0]
        for col, index in enumerate(shown):
            step, samples = snapshots[index]
            ax = fig.add_subplot(grid[row, col])
            ax.scatter(centres[:, 0], centres[:, 1], s=60, facecolors="none", edgecolors="k")
            ax.scatter(samples[:, 0], samples[:, 1], s=2, color="tab:orange", alpha=0.5)
            ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xticks=[], yticks=[])
            ax.set_title(f"step {step}: {modes_covered(samples)}/8", fontsize=9)
            if col == 0:
                ax.set_ylabel(setting, fontsize=9)
        for seed in sorted(s for name, s in runs if name == setting):
            steps = [step for step, _ in runs[setting, seed]]
            ax_modes.plot(steps, [modes_covered(x) for _, x in runs[setting, seed]], "o-", ms=3,
                          color=colours[row], alpha=0.8, label=setting if seed == 0 else None)
    ax_modes.set(xlabel="generator step", ylabel="modes covered (of 8)", ylim=(-0.3, 8.3),
                 title="every seed of every setting")
    ax_modes.legend(fontsize=8)
    ax_modes.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def figure_interpolation(path: torch.Tensor, point: torch.Tensor, t: float) -> Figure:
    """Images along a straight line in latent space (path (n, 1, H, W)), and the one at t."""
    fig, (ax_path, ax_point) = plt.subplots(1, 2, figsize=(11, 2.2), gridspec_kw={"width_ratios": [4.5, 1]})
    show_images(path, nrow=len(path), ax=ax_path, title="z from z_start (left) to z_end (right)")
    ax_point.imshow(point[0, 0], cmap="gray", vmin=0, vmax=1)
    ax_point.set_axis_off()
    ax_point.set_title(f"t = {t:.2f}", fontsize=10)
    fig.tight_layout()
    return fig
