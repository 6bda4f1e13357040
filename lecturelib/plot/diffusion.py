"""The figures of notebook 06 (diffusion models): the forward process and its two scales, the
error and ELBO weight of each step, denoising replayed, DDIM's step count against quality and
cost, and two samplers' paths on a 2-D toy.

The diffusion model's images live in [-1, 1]; `_grey` maps them to [0, 1] for display.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .images import image_grid


def _grey(x: torch.Tensor) -> torch.Tensor:
    """Images in the diffusion model's [-1, 1] -> [0, 1] for display (noise beyond is clipped)."""
    return ((x + 1) / 2).clamp(0, 1)


def figure_forward_process(noisy: dict[int, torch.Tensor], abar: torch.Tensor) -> Figure:
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


def figure_step_errors(times: Sequence[int], errors: Sequence[float], weights: torch.Tensor) -> Figure:
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


def plot_denoising(snapshots: dict[int, torch.Tensor], title: str, *, ax: Axes | None = None) -> Axes:
    """Digits as the sampler walks back (step -> (n, 1, H, W) in [-1, 1]): one column per step,
    one row per digit."""
    steps = list(snapshots)
    n = len(next(iter(snapshots.values())))
    stacked = torch.stack([_grey(snapshots[t]) for t in steps], 1).flatten(0, 1)  # (n * steps, 1, H, W)
    made = ax is None
    if made:
        _, ax = plt.subplots(figsize=(0.62 * len(steps) + 0.6, 0.62 * n + 0.7))
    ax.imshow(image_grid(stacked, nrow=len(steps)).numpy(), interpolation="nearest")
    ax.set_xticks([30 * i + 15 for i in range(len(steps))], [f"t={t}" for t in steps], fontsize=8)
    ax.set_yticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, fontsize=9)
    if made:
        ax.figure.tight_layout()
    return ax


def figure_steps_sweep(samples: dict[int, torch.Tensor], fcd: dict[int, tuple[float, float]], floor: float,
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


def figure_paths_and_steps(paths: dict[str, torch.Tensor], data: torch.Tensor, steps: Sequence[int],
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
