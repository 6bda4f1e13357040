"""The figures of notebook 01 (unsupervised learning and density estimation): supervised against
unsupervised, k-means, PCA, a 1-D kernel density estimate, a Gaussian mixture fitted by EM, and
explicit against implicit models.
"""

from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .images import show_images
from .planes import plot_density_2d


def figure_two_moons(points: torch.Tensor, labels: torch.Tensor,
                     log_density: Callable[[torch.Tensor], torch.Tensor],
                     extent: tuple[float, float, float, float] = (-1.5, 2.5, -1, 1.5)) -> Figure:
    """The same points two ways: with labels, the regions a 1-nearest-neighbour rule assigns to
    each (supervised); without, a density estimate (unsupervised)."""
    fig, (ax_sup, ax_unsup) = plt.subplots(1, 2, figsize=(10, 3.6))
    xmin, xmax, ymin, ymax = extent
    gx, gy = torch.meshgrid(torch.linspace(xmin, xmax, 200), torch.linspace(ymin, ymax, 200), indexing="xy")
    grid = torch.stack([gx.flatten(), gy.flatten()], 1)
    predicted = labels[torch.cdist(grid, points).argmin(1)].reshape(200, 200)
    ax_sup.contourf(gx, gy, predicted, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
    ax_sup.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", s=8)
    ax_sup.set(aspect="equal", xlim=(xmin, xmax), ylim=(ymin, ymax))
    ax_sup.set_title("supervised: (x, y) given, learn y = f(x)", fontsize=10)
    plot_density_2d(log_density, extent=extent, points=points, ax=ax_unsup, floor=-6,
                    title="unsupervised: x only, learn p(x)")
    fig.tight_layout()
    return fig


def figure_kmeans(inertia: Sequence[float], centers: torch.Tensor, majority: Sequence[int]) -> Figure:
    """k-means: the inertia over Lloyd's iterations, and the centres as images."""
    fig, (ax_j, ax_centers) = plt.subplots(1, 2, figsize=(11, 2.6), gridspec_kw={"width_ratios": [1, 2]})
    ax_j.plot(inertia, "o-", ms=3)
    ax_j.set(xlabel="iteration", ylabel="inertia J")
    ax_j.set_title(f"k-means, K = {len(centers)}: {len(inertia)} iterations", fontsize=10)
    show_images(centers.reshape(-1, 1, 28, 28), nrow=len(centers), ax=ax_centers,
                title=f"the {len(centers)} centres (most common label in each: {list(majority)})")
    fig.tight_layout()
    return fig


def figure_pca(explained_ratio: torch.Tensor, rows: dict[str, torch.Tensor]) -> Figure:
    """PCA: the cumulative share of variance kept by k components, and digits rebuilt from k
    components (rows: title -> images, the originals first)."""
    fig = plt.figure(figsize=(12, 3.2))
    ax_curve = fig.add_subplot(1, 3, 1)
    ratio = explained_ratio.cumsum(0)
    ax_curve.plot(range(1, len(ratio) + 1), ratio, lw=2)
    ks = [int(title.split()[-1]) for title in list(rows)[1:]]
    for k in ks:
        ax_curve.plot(k, ratio[k - 1], "o", color="tab:red")
        ax_curve.annotate(f"{k}: {ratio[k - 1]:.0%}", (k, ratio[k - 1]), xytext=(5, -12),
                          textcoords="offset points", fontsize=8)
    ax_curve.set(xscale="log", xlabel="number of components k", ylabel="share of variance kept")
    ax_curve.set_title("explained variance", fontsize=10)
    ax_recon = fig.add_subplot(1, 3, (2, 3))
    show_images(torch.cat(list(rows.values())), nrow=len(next(iter(rows.values()))), ax=ax_recon,
                title="test digits (top row), then rebuilt from k = " + ", ".join(map(str, ks)) + " components")
    fig.tight_layout()
    return fig


def plot_kde_1d(points: torch.Tensor, line: torch.Tensor, true_density: torch.Tensor,
                estimate: torch.Tensor, *, label: str, title: str, ax: Axes | None = None) -> Axes:
    """A 1-D density estimate against the truth, with the points it was built from."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    ax.hist(points, bins=30, range=(line[0].item(), line[-1].item()), density=True, color="lightgray",
            label="histogram (30 bins)")
    ax.plot(line, true_density, "k--", lw=1, label="true density")
    ax.plot(line, estimate, lw=2, label=label)
    ax.plot(points, torch.zeros_like(points), "|", color="tab:red", ms=8, label="training points")
    ax.set(xlabel="x", ylabel="density", ylim=(0, 1.1))
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def figure_mixture_fit(history: Sequence[float], log_prob: Callable[[torch.Tensor], torch.Tensor],
                       points: torch.Tensor, samples: torch.Tensor,
                       extent: tuple[float, float, float, float]) -> Figure:
    """A Gaussian mixture fitted by EM: the training log-likelihood per iteration, its density
    with the training points, and samples drawn from it."""
    fig, (ax_ll, ax_density, ax_samples) = plt.subplots(
        1, 3, figsize=(14, 3.4), gridspec_kw={"width_ratios": [0.8, 1.2, 1]})
    ax_ll.plot(history, lw=2)
    ax_ll.set(xlabel="EM iteration", ylabel="training log-likelihood")
    ax_ll.set_title("EM climbs, never falls", fontsize=10)
    plot_density_2d(log_prob, extent=extent, points=points, ax=ax_density, floor=-8,
                    title=f"log p(x) of the mixture, with the training points")
    ax_samples.scatter(samples[:, 0], samples[:, 1], s=3, color="tab:purple")
    ax_samples.set(xlim=extent[:2], ylim=extent[2:], aspect="equal")
    ax_samples.set_title(f"{len(samples):,} samples from the mixture", fontsize=10)
    fig.tight_layout()
    return fig


def figure_explicit_implicit(log_prob: Callable[[torch.Tensor], torch.Tensor],
                             implicit_samples: torch.Tensor,
                             estimate: Callable[[torch.Tensor], torch.Tensor],
                             extent: tuple[float, float, float, float],
                             implicit_extent: tuple[float, float, float, float]) -> Figure:
    """An explicit model's exact density beside an implicit model's samples and the density
    that can only be estimated from them."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    plot_density_2d(log_prob, extent=extent, ax=axes[0], floor=-8, title="explicit: the mixture's p(x), exact")
    axes[1].scatter(implicit_samples[:, 0], implicit_samples[:, 1], s=2, color="tab:orange")
    axes[1].set(aspect="equal")
    axes[1].set_title("implicit: samples of x = f(z), no p(x)", fontsize=10)
    plot_density_2d(estimate, extent=implicit_extent, ax=axes[2], floor=-8,
                    title="implicit: p(x) only estimated (KDE of samples)")
    fig.tight_layout()
    return fig
