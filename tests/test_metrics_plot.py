"""Unit conversions and the plotting helpers."""

import math

import matplotlib.pyplot as plt
import pytest
import torch

from lecturelib.metrics import DIGIT_DIMS, bits_per_dim, nats_per_image
from lecturelib.plot import image_grid, plot_class_counts, plot_history, show_images
from lecturelib.train import History


def test_bits_per_dim_of_a_coin_flip_per_pixel_is_one():
    assert bits_per_dim(DIGIT_DIMS * math.log(2)) == pytest.approx(1.0)
    assert nats_per_image(bits_per_dim(81.3)) == pytest.approx(81.3)
    assert bits_per_dim(81.3) == pytest.approx(0.1496, abs=1e-4)  # PixelCNN, arXiv:1601.06759
    with pytest.raises(ValueError):
        bits_per_dim(1.0, num_dims=0)


def test_image_grid_tiles_with_padding():
    grid = image_grid(torch.rand(10, 1, 28, 28), nrow=5, padding=2)
    assert grid.shape == (2 * 30 + 2, 5 * 30 + 2, 3)
    assert image_grid(torch.rand(3, 28, 28), nrow=3).shape == (32, 92, 3)
    with pytest.raises(ValueError, match="expected images"):
        image_grid(torch.rand(28, 28))


def test_show_images_draws_one_image_with_labels_in_the_title():
    ax = show_images(torch.rand(4, 1, 28, 28), nrow=2, title="digits", labels=[1, 2, 3, 4])
    assert len(ax.images) == 1 and ax.get_title() == "digits\nlabels: 1 2 / 3 4"
    plt.close("all")


def test_plot_history_draws_train_and_validation():
    history = History(steps={"loss": [3.0, 2.0, 1.5, 1.0]}, epochs={"loss": [2.5, 1.2],
                                                                     "val_loss": [2.4, 1.3]})
    ax = plot_history(history)
    assert len(ax.lines) == 2
    assert list(ax.lines[1].get_xdata()) == [2, 4]  # validation at the end of each epoch
    plt.close("all")


def test_class_counts_bars_match_bincount():
    labels = torch.tensor([0, 1, 1, 2, 2, 2])
    ax = plot_class_counts(labels, num_classes=3)
    assert [p.get_height() for p in ax.patches] == [1, 2, 3]
    plt.close("all")


def test_exercise_check_reports_each_case(capsys):
    from lecturelib.exercises import check

    check("a", 1.00001, 1.0, rtol=1e-4)
    check("b", None, 1.0, hint="think")
    check("c", 1.1, 1.0)
    check("d", torch.zeros(2), torch.zeros(3))
    check("e", "text", 1.0)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[ok] Exercise a: correct."
    assert out[1].startswith("[ ] Exercise b: not answered yet") and out[1].endswith("Hint: think")
    assert "relative error 0.1" in out[2]
    assert "expected shape (3,), got (2,)" in out[3]
    assert "expected a number" in out[4]


def test_exercise_check_compares_words_and_rankings(capsys):
    from lecturelib.exercises import check

    check("a", " Change of Variables ", "change of variables")
    check("b", "variational", "change of variables")
    check("c", ["x", "z", "y"], ["x", "y", "z"])
    check("d", ["x", "y"], ["x", "y", "z"])
    check("e", 3.0, "three")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[ok] Exercise a: correct."
    assert out[1] == "[x] Exercise b: not yet."  # no answer given away
    assert out[2] == "[x] Exercise c: not yet: 1 of 3 in the right place."
    assert "expected a list of 3 strings" in out[3] and "expected a string" in out[4]


def test_density_2d_draws_contours_of_the_given_function():
    from lecturelib.plot import plot_density_2d

    seen = []

    def log_prob(x):
        seen.append(x.shape)
        return -0.5 * (x ** 2).sum(1)

    ax = plot_density_2d(log_prob, extent=(-2, 2, -1, 1), resolution=20, points=torch.zeros(5, 2))
    assert seen == [(400, 2)] and ax.get_xlim() == (-2, 2)
    assert len(ax.collections) >= 2  # the filled contours and the points
    plt.close("all")


def test_interactive_plot_redraws_on_change():
    import ipywidgets

    from lecturelib.widgets import interactive_plot

    calls = []

    def draw(k):
        calls.append(k)
        figure, ax = plt.subplots()
        ax.plot([0, k])
        return figure

    controls = interactive_plot(draw, k=ipywidgets.IntSlider(value=2, min=1, max=5))
    controls["k"].value = 4
    assert calls == [2, 4] and controls["k"].description == "k"
    with pytest.raises(TypeError, match="ipywidgets widget"):
        interactive_plot(draw, k=3)
    plt.close("all")


def test_plot_tree_centres_parents_over_their_children():
    from lecturelib.plot import plot_tree

    ax = plot_tree(("root", [("a", ["a1", "a2"]), "b"]), colors={"b": "green"})
    texts = {t.get_text(): t for t in ax.texts}
    assert set(texts) == {"root", "a", "a1", "a2", "b"}
    x = {name: t.get_position()[0] for name, t in texts.items()}
    y = {name: t.get_position()[1] for name, t in texts.items()}
    assert x["a"] == (x["a1"] + x["a2"]) / 2 and y["root"] > y["a"] > y["a1"] == y["a2"]
    assert texts["b"].get_bbox_patch().get_facecolor()[:3] == (0.0, 0.5019607843137255, 0.0)
    assert len(ax.lines) == 4  # one per edge
    plt.close("all")
