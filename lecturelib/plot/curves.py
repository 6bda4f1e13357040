"""Numbers against a step or a setting: training curves, scores, seed-to-seed spread, trade-offs,
class counts.

Each function draws one panel on the Axes it is given (a new figure when `ax` is None) and
returns that Axes.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes

from ..train import History


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


def plot_scores(xs: Sequence[float], scores: dict[str, Sequence[float]], *, best: float, best_label: str,
                xlabel: str, ylabel: str, reference: dict[str, float] | None = None, log_x: bool = True,
                ticks: bool = False, ylim: tuple[float, float] | None = None,
                ax: Axes | None = None) -> Axes:
    """Scores (e.g. train and validation log-likelihood) against a setting, the best one marked."""
    if ax is None:
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
