"""Figures used across the notebooks: image grids, loss curves, class counts, densities, trees.

Each function draws on a matplotlib Axes (a new figure when `ax` is None) and returns it, so a
notebook can combine several in one figure and a test can inspect what was drawn.
"""

from __future__ import annotations

import itertools
import textwrap
from typing import Callable, Sequence, Union

import matplotlib
import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
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
                 ylabel: str = "loss", logy: bool = False, reference: dict[str, float] | None = None,
                 title: str | None = None) -> Axes:
    """Plot per-step training terms and, where present, the per-epoch validation terms.

    Validation points are drawn at the step where their epoch ended, so both share one x axis;
    `reference` adds labelled horizontal lines (e.g. the untrained model's loss).
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
    for label, value in (reference or {}).items():
        ax.axhline(value, color="gray", ls=":", label=label)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title, fontsize=10)
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
        _, ax = plt.subplots(figsize=(2.1 * (width + 1), 1.25 * (depth + 1)))
    for x0, d0, x1, d1 in edges:
        ax.plot([x0, x1], [-d0, -d1], color="0.55", lw=1, zorder=1)
    for label, x, d in boxes:
        ax.text(x, -d, label, ha="center", va="center", fontsize=fontsize, zorder=2,
                bbox=dict(boxstyle="round,pad=0.4", fc=colors.get(label, "0.93"), ec="0.5"))
    ax.set_xlim(-0.6, width + 0.6)
    ax.set_ylim(-depth - 0.6, 0.5)
    ax.set_axis_off()
    return ax


def show_image_row(panels: dict[str, torch.Tensor], *, nrow: int = 4, panel_width: float = 2.6,
                   fontsize: float = 9) -> Figure:
    """Several image grids side by side, one per entry of `panels` (title -> images)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(panel_width * len(panels), panel_width + 0.3),
                             squeeze=False)
    for ax, (title, images) in zip(axes[0], panels.items()):
        show_images(images, nrow=nrow, ax=ax, title=title)
        ax.title.set_fontsize(fontsize)
    fig.tight_layout()
    return fig


def plot_class_shares(counts: dict[str, torch.Tensor], *, ax: Axes | None = None,
                      title: str = "which digits?") -> Axes:
    """Grouped bars: the share of each class 0-9 in every set of `counts` (name -> (10,) counts)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 2.8))
    width = 0.8 / len(counts)
    for i, (name, values) in enumerate(counts.items()):
        shares = values.float() / values.sum()
        ax.bar(torch.arange(len(values)) + (i - (len(counts) - 1) / 2) * width, shares, width=width, label=name)
    ax.set(xticks=range(10), xlabel="digit", ylabel="share", title=title)
    ax.legend(fontsize=8)
    return ax


def plot_gan_paths(paths: dict[tuple, tuple[list, list]], *, target: float) -> Figure:
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


def plot_ring_runs(runs: dict[tuple[str, int], list], centres: torch.Tensor,
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


def plot_curves(curves: dict[str, Sequence[tuple[float, float]]], *, xlabel: str, ylabel: str,
                title: str | None = None, logy: bool = False, ax: Axes | None = None) -> Axes:
    """One line per entry: (x, y) pairs, e.g. the (step, value) pairs of a `train.Record`."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for name, points in curves.items():
        xs, ys = zip(*points)
        ax.plot(xs, ys, lw=1.5, label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_seed_dots(results: dict[str, Sequence[float]], *, xlabel: str, title: str | None = None,
                   ax: Axes | None = None) -> Axes:
    """One row per entry: a dot per run (seed or draw), and the mean ± standard deviation."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 * len(results) + 0.8))
    for row, (name, values) in enumerate(results.items()):
        values = torch.tensor(values, dtype=torch.float64)
        ax.plot(values, [row] * len(values), "o", alpha=0.5, color="tab:blue")
        ax.errorbar(values.mean().item(), row, xerr=values.std().item() if len(values) > 1 else 0,
                    fmt="D", color="black", capsize=4)
    ax.set_yticks(range(len(results)), list(results))
    ax.set_ylim(-0.6, len(results) - 0.4)
    ax.set(xlabel=xlabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    return ax


def plot_tradeoff(lines: dict[str, Sequence[tuple[float, float]]], point_labels: Sequence[str], *,
                  xlabel: str, ylabel: str, title: str | None = None, ax: Axes | None = None) -> Axes:
    """A trade-off seen run by run: each line joins one run's points (x, y) across the same
    settings, in order; the first line's points are labelled with `point_labels`."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.0))
    for i, (name, points) in enumerate(lines.items()):
        xs, ys = zip(*points)
        ax.plot(xs, ys, "o-", ms=4, alpha=0.8, label=name)
        if i == 0:
            for label, point in zip(point_labels, points):
                ax.annotate(label, point, xytext=(6, 4), textcoords="offset points", fontsize=9)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def show_completions(panels: dict[str, tuple[torch.Tensor, int]], originals: torch.Tensor,
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


def show_image_panels(panels: dict[str, torch.Tensor], captions: dict[str, str] | None = None, *,
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


def show_image_rows(rows: dict[str, torch.Tensor], *, width: float = 6.0) -> Figure:
    """One titled row of images per entry (title -> images (B, 1, H, W)), stacked."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(width, 1.05 * len(rows)), squeeze=False)
    for ax, (title, images) in zip(axes[:, 0], rows.items()):
        show_images(images, nrow=len(images), ax=ax, title=title)
    fig.tight_layout()
    return fig


def show_digits_and_classes(images: torch.Tensor, labels: torch.Tensor,
                            splits: dict[str, torch.Tensor]) -> Figure:
    """Some digits with their labels, beside the number of digits of each class in each split."""
    fig, axes = plt.subplots(1, 1 + len(splits), figsize=(4.6 + 3.6 * len(splits), 3.4),
                             gridspec_kw={"width_ratios": [1.3] + [1] * len(splits)})
    show_images(images, nrow=8, labels=labels, ax=axes[0], title=f"the first {len(images)} digits")
    for ax, (name, split_labels) in zip(axes[1:], splits.items()):
        plot_class_counts(split_labels, ax=ax, title=f"{name}: digits per class")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Notebook 01: unsupervised learning and density estimation
# ---------------------------------------------------------------------------------------------

def plot_two_moons(points: torch.Tensor, labels: torch.Tensor,
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


def plot_kmeans(inertia: Sequence[float], centers: torch.Tensor, majority: Sequence[int]) -> Figure:
    """k-means: the inertia over Lloyd's iterations, and the centres as images."""
    fig, (ax_j, ax_centers) = plt.subplots(1, 2, figsize=(11, 2.6), gridspec_kw={"width_ratios": [1, 2]})
    ax_j.plot(inertia, "o-", ms=3)
    ax_j.set(xlabel="iteration", ylabel="inertia J")
    ax_j.set_title(f"k-means, K = {len(centers)}: {len(inertia)} iterations", fontsize=10)
    show_images(centers.reshape(-1, 1, 28, 28), nrow=len(centers), ax=ax_centers,
                title=f"the {len(centers)} centres (most common label in each: {list(majority)})")
    fig.tight_layout()
    return fig


def plot_pca(explained_ratio: torch.Tensor, rows: dict[str, torch.Tensor]) -> Figure:
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


def plot_kde_1d(points: torch.Tensor, line: torch.Tensor, true_density: torch.Tensor,
                estimate: torch.Tensor, *, label: str, title: str) -> Figure:
    """A 1-D density estimate against the truth, with the points it was built from."""
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.hist(points, bins=30, range=(line[0].item(), line[-1].item()), density=True, color="lightgray",
            label="histogram (30 bins)")
    ax.plot(line, true_density, "k--", lw=1, label="true density")
    ax.plot(line, estimate, lw=2, label=label)
    ax.plot(points, torch.zeros_like(points), "|", color="tab:red", ms=8, label="training points")
    ax.set(xlabel="x", ylabel="density", ylim=(0, 1.1))
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return fig


def plot_scores(xs: Sequence[float], scores: dict[str, Sequence[float]], *, best: float, best_label: str,
                xlabel: str, ylabel: str, reference: dict[str, float] | None = None, log_x: bool = True,
                ticks: bool = False, ylim: tuple[float, float] | None = None) -> Axes:
    """Scores (e.g. train and validation log-likelihood) against a setting, the best one marked."""
    _, ax = plt.subplots(figsize=(6.5, 3.1))
    for name, values in scores.items():
        ax.plot(xs, values, "o-" if ticks else "-", ms=4, lw=1.8, label=name)
    for name, value in (reference or {}).items():
        ax.axhline(value, color="k", ls="--", lw=1, label=name)
    ax.axvline(best, color="tab:green", ls=":", label=best_label)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if log_x:
        ax.set_xscale("log")
    if ticks:
        ax.set_xticks(list(xs), [str(x) for x in xs])
        ax.minorticks_off()
    if ylim:
        ax.set_ylim(*ylim)
    ax.legend(fontsize=8)
    return ax


def plot_mixture_fit(history: Sequence[float], log_prob: Callable[[torch.Tensor], torch.Tensor],
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


def plot_explicit_implicit(log_prob: Callable[[torch.Tensor], torch.Tensor],
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


# ---------------------------------------------------------------------------------------------
# Notebook 02: autoencoders
# ---------------------------------------------------------------------------------------------

def plot_training_and_images(history: History, rows: dict[str, torch.Tensor], *, ylabel: str,
                             title: str) -> Figure:
    """A training curve beside rows of images (title -> images, one row each)."""
    fig, (ax_loss, ax_images) = plt.subplots(1, 2, figsize=(13, 3.2), gridspec_kw={"width_ratios": [1, 1.4]})
    plot_history(history, ax=ax_loss, ylabel=ylabel, title=title)
    show_images(torch.cat(list(rows.values())), nrow=len(next(iter(rows.values()))), ax=ax_images,
                title=" / ".join(rows))
    fig.tight_layout()
    return fig


def plot_bottleneck(sizes: Sequence[int], errors: dict[str, dict[int, float]],
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


def plot_code_space(codes: torch.Tensor, labels: torch.Tensor, decode: Callable[[torch.Tensor], torch.Tensor],
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


# ---------------------------------------------------------------------------------------------
# Notebook 03: PixelRNN and PixelCNN
# ---------------------------------------------------------------------------------------------

def plot_chain_rule(digit: torch.Tensor, probs: torch.Tensor, pixel: tuple[int, int] = (14, 12)) -> Figure:
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


def plot_masks(masks: dict[str, torch.Tensor]) -> Figure:
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


def plot_receptive_fields(seen: dict[str, torch.Tensor], row: int, col: int, reach: int) -> Figure:
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


def plot_generation(samples: torch.Tensor, probs: torch.Tensor, step: int, shown: int = 6) -> Figure:
    """Pixel-by-pixel generation replayed: after `step` pixels, the pixels drawn so far (top) and
    the probability each was drawn with (bottom); the next pixel in red."""
    height, width = samples.shape[-2:]
    hidden = torch.arange(height * width).view(height, width) >= step
    fig, axes = plt.subplots(2, shown, figsize=(2 * shown, 4.3))
    drawn_map = matplotlib.colormaps["gray_r"].with_extremes(bad="#cfe3f5")
    prob_map = matplotlib.colormaps["viridis"].with_extremes(bad="#eeeeee")
    for k in range(shown):
        axes[0, k].imshow(numpy_masked(samples[k, 0], hidden), cmap=drawn_map, vmin=0, vmax=1)
        axes[1, k].imshow(numpy_masked(probs[k, 0], hidden), cmap=prob_map, vmin=0, vmax=1)
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


def numpy_masked(image: torch.Tensor, mask: torch.Tensor):
    """A numpy masked array of an image (H, W), hiding where mask is True (for imshow)."""
    import numpy as np

    return np.ma.masked_array(image.cpu().numpy(), mask=mask.cpu().numpy())


# ---------------------------------------------------------------------------------------------
# Notebook 04: variational autoencoders
# ---------------------------------------------------------------------------------------------

def plot_naive_estimates(estimates: dict[int, Sequence[float]], reference: float) -> Figure:
    """Repeated Monte Carlo estimates of log p(x) per number of prior samples S (S -> values),
    against a good estimate (a dashed line)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.1))
    for num_samples, values in estimates.items():
        ax.plot([num_samples] * len(values), values, "o", color="tab:blue", alpha=0.6)
    ax.axhline(reference, color="tab:green", ls="--", label=f"IWAE-1000 estimate: {reference:.1f}")
    repeats = len(next(iter(estimates.values())))
    ax.set(xscale="log", xlabel="prior samples S", ylabel="estimate of log p(x) (nats)")
    ax.set_title(f"naive Monte Carlo from the prior, {repeats} repeats per S", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_terms(history: History, titles: dict[str, str], *, ylabel: str) -> Figure:
    """One panel per logged term (key -> title): per step, and per epoch on validation data."""
    fig, axes = plt.subplots(1, len(titles), figsize=(5.5 * len(titles), 2.8), squeeze=False)
    for ax, (key, title) in zip(axes[0], titles.items()):
        plot_history(history, keys=(key,), ax=ax, ylabel=ylabel)
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_traversals(kl_per_dim: torch.Tensor, images: torch.Tensor, dims: Sequence[int],
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


# ---------------------------------------------------------------------------------------------
# Notebook 05: GANs
# ---------------------------------------------------------------------------------------------

def plot_optimal_discriminator(line: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor,
                               d_star: torch.Tensor, d_learned: torch.Tensor) -> Figure:
    """A 1-D game: both densities, the optimal discriminator and a trained one, along `line`."""
    fig, ax = plt.subplots(figsize=(8, 3.1))
    ax.plot(line, p_data, "k--", lw=1, label="p_data")
    ax.plot(line, p_g, color="tab:orange", lw=1, label="p_g (KDE of G's samples)")
    ax.plot(line, d_star, color="tab:green", lw=4, alpha=0.5, label="D* = p_data / (p_data + p_g)")
    ax.plot(line, d_learned, color="tab:blue", lw=1.5, label="trained D")
    ax.set(xlabel="x", ylim=(0, 1.25))
    ax.set_title("the trained discriminator against the optimal one", fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def plot_generator_losses(d_of_g: torch.Tensor, curves: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> Figure:
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


def plot_interpolation(path: torch.Tensor, point: torch.Tensor, t: float) -> Figure:
    """Images along a straight line in latent space (path (n, 1, H, W)), and the one at t."""
    fig, (ax_path, ax_point) = plt.subplots(1, 2, figsize=(11, 2.2), gridspec_kw={"width_ratios": [4.5, 1]})
    show_images(path, nrow=len(path), ax=ax_path, title="z from z_start (left) to z_end (right)")
    ax_point.imshow(point[0, 0], cmap="gray", vmin=0, vmax=1)
    ax_point.set_axis_off()
    ax_point.set_title(f"t = {t:.2f}", fontsize=10)
    fig.tight_layout()
    return fig


def show_image_grid(images: torch.Tensor, *, nrow: int, title: str, width: float = 4.5) -> Figure:
    """One titled grid of images, `nrow` to a row, `width` inches wide."""
    rows = -(-len(images) // nrow)
    fig, ax = plt.subplots(figsize=(width, width * rows / nrow + 0.4))
    show_images(images, nrow=nrow, ax=ax, title=title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Notebook 06: diffusion models
# ---------------------------------------------------------------------------------------------

def _grey(x: torch.Tensor) -> torch.Tensor:
    """Images in the diffusion model's [-1, 1] -> [0, 1] for display (noise beyond is clipped)."""
    return ((x + 1) / 2).clamp(0, 1)


def plot_forward_process(noisy: dict[int, torch.Tensor], abar: torch.Tensor) -> Figure:
    """One digit at several steps t (step -> (1, 1, H, W) in [-1, 1]) above the two scales of
    x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, against t."""
    fig = plt.figure(figsize=(11, 2.6))
    grid = fig.add_gridspec(2, len(noisy), height_ratios=[1, 1.1])
    for i, (t, image) in enumerate(noisy.items()):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(_grey(image)[0, 0], cmap="gray", vmin=0, vmax=1)
        ax.set_axis_off()
        ax.set_title(f"t = {t}", fontsize=9)
    ax = fig.add_subplot(grid[1, :])
    steps = torch.arange(len(abar))
    ax.plot(steps, abar.sqrt(), label=r"$\sqrt{\bar\alpha_t}$: what is left of the digit")
    ax.plot(steps, (1 - abar).sqrt(), label=r"$\sqrt{1 - \bar\alpha_t}$: the noise's scale")
    ax.scatter(list(noisy), [abar[t].sqrt().item() for t in noisy], color="tab:blue", zorder=3, s=15)
    ax.set(xlabel="step t", xlim=(0, len(abar) - 1))
    ax.legend(fontsize=8, loc="center right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_step_errors(times: Sequence[int], errors: Sequence[float], weights: torch.Tensor) -> Figure:
    """Left: the shipped model's noise-prediction error at several steps. Right: the weight each
    step's error has in the ELBO (`elbo_weights`, t = 2 .. T), against the simple loss's weight 1."""
    fig, (ax_error, ax_weight) = plt.subplots(1, 2, figsize=(11, 3.1))
    ax_error.plot(times, errors, "o-")
    ax_error.set(xlabel="step t", ylabel=r"mean $(\varepsilon - \varepsilon_\theta)^2$ per pixel",
                 xscale="log")
    ax_error.set_title("the shipped model's error, test digits", fontsize=10)
    ax_weight.plot(torch.arange(2, len(weights) + 2), weights, label=r"$w_t$ in the ELBO")
    ax_weight.axhline(1, color="tab:orange", label="simple loss (Ho et al.): 1")
    ax_weight.set(xlabel="step t", ylabel="weight of the step's error", xscale="log", yscale="log")
    ax_weight.set_title(r"ELBO weights $w_t$: a U, its right end set by the clip of $\beta_T$",
                        fontsize=10)
    ax_weight.legend(fontsize=8, loc="upper center")
    for ax in (ax_error, ax_weight):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_denoising(snapshots: dict[int, torch.Tensor], title: str) -> Figure:
    """Digits as the sampler walks back (step -> (n, 1, H, W) in [-1, 1]): one column per step,
    one row per digit."""
    steps = list(snapshots)
    n = len(next(iter(snapshots.values())))
    stacked = torch.stack([_grey(snapshots[t]) for t in steps], 1).flatten(0, 1)  # (n * steps, 1, H, W)
    fig, ax = plt.subplots(figsize=(0.62 * len(steps) + 0.6, 0.62 * n + 0.7))
    ax.imshow(image_grid(stacked, nrow=len(steps)).numpy(), interpolation="nearest")
    ax.set_xticks([30 * i + 15 for i in range(len(steps))], [f"t={t}" for t in steps], fontsize=8)
    ax.set_yticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_steps_sweep(samples: dict[int, torch.Tensor], fcd: dict[int, tuple[float, float]], floor: float,
                     readable: dict[int, float], seconds: dict[int, float]) -> Figure:
    """DDIM with few or many steps: the same start noise drawn with each step count (steps ->
    (n, 1, H, W) in [0, 1]), beside quality (FCD with its spread, the real-digit floor at the same
    sample size, the share readable) and seconds for 64 digits, against the number of steps."""
    fig = plt.figure(figsize=(11, 2.7))
    grid = fig.add_gridspec(1, 3, width_ratios=[1.5, 1, 1])
    ax_images = fig.add_subplot(grid[0])
    rows = torch.cat(list(samples.values()))
    ax_images.imshow(image_grid(rows, nrow=len(next(iter(samples.values())))).numpy(), interpolation="nearest")
    ax_images.set_yticks([30 * i + 15 for i in range(len(samples))],
                         [f"{s} step{'s' if s > 1 else ''}" for s in samples], fontsize=8)
    ax_images.set_xticks([])
    ax_images.set_title("one start noise per column, one step count per row", fontsize=10)
    steps = list(fcd)
    ax_quality = fig.add_subplot(grid[1])
    ax_quality.errorbar(steps, [fcd[s][0] for s in steps], yerr=[fcd[s][1] for s in steps],
                        fmt="o-", capsize=3, label="FCD of the samples")
    ax_quality.axhline(floor, color="gray", ls=":", label="floor: real digits")
    ax_quality.set(xscale="log", yscale="log", xlabel="DDIM steps", ylabel="FCD (binary digits)")
    ax_quality.set_title("sample quality", fontsize=10)
    ax_quality.legend(fontsize=7, loc="lower left")
    ax_read = ax_quality.twinx()
    ax_read.plot(steps, [readable[s] for s in steps], "s--", color="tab:green")
    ax_read.set_ylabel("readable (green)", color="tab:green")
    ax_read.set_ylim(0, 1)
    ax_time = fig.add_subplot(grid[2])
    ax_time.plot(steps, [seconds[s] for s in steps], "o-", color="tab:red")
    ax_time.set(xscale="log", yscale="log", xlabel="DDIM steps", ylabel="seconds for 64 digits")
    ax_time.set_title("cost: one network pass per step", fontsize=10)
    for ax in (ax_quality, ax_time):
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def plot_paths_and_steps(paths: dict[str, torch.Tensor], data: torch.Tensor, steps: Sequence[int],
                         distances: dict[str, torch.Tensor], floor: float) -> Figure:
    """Two samplers on a 2-D toy. Left: each sampler's paths from noise to data (name ->
    (steps + 1, N, 2)) over the data's points (M, 2). Right: the energy distance of its samples to
    the data against the number of steps (name -> (seeds, len(steps)): mean and min-max over
    seeds), with the floor of two samples of real data."""
    fig, (ax_paths, ax_steps) = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [1.3, 1]})
    ax_paths.scatter(*data.T, s=4, color="0.55", alpha=0.5, label="data")
    for (name, path), color in zip(paths.items(), ("tab:blue", "tab:orange")):
        for i in range(path.shape[1]):
            ax_paths.plot(path[:, i, 0], path[:, i, 1], "-", color=color, lw=0.8, alpha=0.7,
                          label=name if i == 0 else None)
        ax_paths.scatter(*path[0].T, s=6, color="black", zorder=3,
                         label="start: noise" if color == "tab:blue" else None)
    ax_paths.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax_paths.set_title(f"the same {path.shape[1]} noise points, {path.shape[0] - 1} steps each", fontsize=10)
    ax_paths.legend(fontsize=7, loc="upper left")
    for (name, values), color in zip(distances.items(), ("tab:blue", "tab:orange")):
        mean = values.mean(0)
        ax_steps.plot(steps, mean, "o-", color=color, label=f"{name} (mean of {len(values)} seeds)")
        ax_steps.fill_between(steps, values.min(0).values, values.max(0).values, color=color, alpha=0.2)
    ax_steps.axhline(floor, color="gray", ls=":", label="floor: real data vs real data")
    ax_steps.set(xscale="log", yscale="log", xlabel="sampling steps", ylabel="energy distance to the data")
    ax_steps.set_xticks(list(steps), [str(s) for s in steps])
    ax_steps.set_title("sample quality (shaded: min to max over seeds)", fontsize=10)
    ax_steps.grid(alpha=0.3, which="both")
    ax_steps.legend(fontsize=7)
    fig.tight_layout()
    return fig
