"""The plot contract (lecturelib/plot/__init__.py): a function that draws one panel takes `ax`,
draws on it and returns it; a function that lays out several panels is named `figure_*` and
returns its Figure. Checked by signature for every public function, and by drawing for a few."""

import importlib
import inspect
import pkgutil
import typing

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lecturelib import plot
from lecturelib.train import History

DRAWS_NOTHING = {"image_grid": torch.Tensor}  # tiles images into one tensor for imshow
PUBLIC = [name for name in plot.__all__ if inspect.isfunction(getattr(plot, name))]


def test_every_public_function_of_every_plot_module_is_exported():
    defined = set()
    for module in pkgutil.iter_modules(plot.__path__):
        members = inspect.getmembers(importlib.import_module(f"lecturelib.plot.{module.name}"), inspect.isfunction)
        defined |= {name for name, f in members if not name.startswith("_") and f.__module__.startswith("lecturelib.plot")}
    assert defined == set(PUBLIC), "re-export every public function in lecturelib/plot/__init__.py's __all__"


@pytest.mark.parametrize("name", PUBLIC)
def test_a_function_draws_one_panel_on_ax_or_says_figure_in_its_name(name):
    function = getattr(plot, name)
    hints = typing.get_type_hints(function)
    parameters = inspect.signature(function).parameters
    if name in DRAWS_NOTHING:
        assert hints["return"] is DRAWS_NOTHING[name] and "ax" not in parameters
    elif name.startswith("figure_"):
        assert hints["return"] is Figure, f"{name} lays out a figure: annotate it -> Figure"
        assert "ax" not in parameters, f"{name} makes its own figure; it cannot draw on a given ax"
    else:
        assert "ax" in parameters, f"{name} draws one panel: give it `ax: Axes | None = None`, " \
            "or, if it lays out several panels, rename it figure_*"
        assert hints["ax"] == Axes | None and parameters["ax"].default is None
        assert hints["return"] is Axes, f"{name} draws on ax: annotate it -> Axes and return ax"


def _history():
    return History(steps={"loss": [3.0, 2.0, 1.5, 1.0]}, epochs={"loss": [2.5, 1.2], "val_loss": [2.4, 1.3]})


line = torch.linspace(-3, 3, 20)
ONE_PANEL = {  # name -> a call on small inputs, drawing on the given ax
    "show_images": lambda ax: plot.show_images(torch.rand(4, 1, 28, 28), nrow=2, ax=ax),
    "show_image_grid": lambda ax: plot.show_image_grid(torch.rand(6, 1, 28, 28), nrow=3, title="t", ax=ax),
    "plot_history": lambda ax: plot.plot_history(_history(), ax=ax),
    "plot_kde_1d": lambda ax: plot.plot_kde_1d(torch.randn(10), line, line.abs(), line.abs(), label="l",
                                               title="t", ax=ax),
    "plot_naive_estimates": lambda ax: plot.plot_naive_estimates({10: [-3.0, -2.0], 100: [-1.0, -1.5]}, -1.0, ax=ax),
    "plot_optimal_discriminator": lambda ax: plot.plot_optimal_discriminator(line, line.abs(), line.abs(),
                                                                             torch.sigmoid(line), torch.sigmoid(line), ax=ax),
    "plot_denoising": lambda ax: plot.plot_denoising({10: torch.randn(2, 1, 28, 28), 0: torch.randn(2, 1, 28, 28)},
                                                     "t", ax=ax),
    "plot_scores": lambda ax: plot.plot_scores([1, 2, 4], {"train": [1, 2, 3]}, best=2, best_label="b", xlabel="x",
                                               ylabel="y", ax=ax),
    "plot_change_of_variables": lambda ax: plot.plot_change_of_variables(torch.randn(50), line, line.abs(),
                                                                         line.abs(), ax=ax),
    "plot_level_likelihoods": lambda ax: plot.plot_level_likelihoods([0.1, 1.0], {"a": [1.0, 0.5]}, discrete=0.7, ax=ax),
}


@pytest.mark.parametrize("name", ONE_PANEL)
def test_a_one_panel_function_draws_on_the_axes_it_is_given_and_nowhere_else(name):
    plt.close("all")
    fig, ax = plt.subplots()
    try:
        assert ONE_PANEL[name](ax) is ax
        assert plt.get_fignums() == [fig.number], f"{name} made a figure of its own"
        assert fig.axes == [ax], f"{name} added axes to the figure"
        assert ax.lines or ax.images or ax.collections or ax.patches, f"{name} drew nothing on ax"
    finally:
        plt.close("all")


@pytest.mark.parametrize("name", ["show_image_grid", "plot_naive_estimates"])
def test_without_ax_a_one_panel_function_makes_one_figure_of_one_axes(name):
    plt.close("all")
    try:
        ax = ONE_PANEL[name](None)
        assert isinstance(ax, Axes) and plt.get_fignums() == [ax.figure.number] and ax.figure.axes == [ax]
    finally:
        plt.close("all")


def test_a_figure_function_returns_the_one_figure_it_made():
    plt.close("all")
    try:
        fig = plot.figure_terms(_history(), {"loss": "the loss"}, ylabel="nats")
        assert isinstance(fig, Figure) and plt.get_fignums() == [fig.number] and len(fig.axes) == 1
    finally:
        plt.close("all")
