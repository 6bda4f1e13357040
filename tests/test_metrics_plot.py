"""Unit conversions and the plotting helpers."""

import math

import matplotlib.pyplot as plt
import pytest
import torch

from lecturelib.metrics import (DIGIT_DIMS, bits_per_dim, energy_distance, nats_per_image, path_straightness,
                                stroke_measures)
from lecturelib.plot import figure_paths_and_steps, image_grid, plot_class_counts, plot_history, show_images
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


def test_the_half_sample_spread_of_the_fcd_matches_real_redraws():
    """fcd_with_spread estimates, from one draw, how much a fresh draw of samples moves the
    distance; compared here with 6 real draws of 500 samples of the shipped DCGAN. Six draws
    give a rough standard deviation themselves, so a factor of 2 either way is allowed."""
    from lecturelib.data import load_digits
    from lecturelib.metrics import fcd_with_spread, frechet_distance
    from lecturelib.recipes import load_pretrained

    classifier, dcgan = load_pretrained("classifier"), load_pretrained("dcgan")
    x_test, _ = load_digits("test")
    reference = classifier.features(x_test)  # once: the six redraws are scored against the same digits
    redraws = torch.tensor([frechet_distance(classifier.features(dcgan.sample(500, generator=torch.Generator().manual_seed(s))),
                                             reference) for s in range(6)])
    estimate = fcd_with_spread(dcgan.sample(500, generator=torch.Generator().manual_seed(0)), x_test, classifier)
    assert estimate.value == pytest.approx(redraws[0].item())
    assert 0.5 * redraws.std().item() < estimate.spread < 2 * redraws.std().item()


def test_spread_fcd_claims_only_beyond_the_noise():
    from lecturelib.metrics import SpreadFCD

    assert SpreadFCD(5.0, 0.5).clearly_below(SpreadFCD(8.0, 0.5))  # 3 > 2 * 0.71
    assert not SpreadFCD(5.0, 1.0).clearly_below(SpreadFCD(7.0, 1.0))  # 2 < 2 * 1.41
    assert not SpreadFCD(8.0, 0.1).clearly_below(SpreadFCD(5.0, 0.1))  # the wrong way round


def test_the_paired_fcd_gap_is_the_difference_and_its_spread_counts_only_what_differs():
    """Two sets paired sample by sample (a real digit, and the same digit with 2 % of its pixels
    flipped): the gap is FCD(a) - FCD(b) computed apart, and its paired spread is far below the
    unpaired combined spread, since most of each set's noise is shared."""
    from lecturelib.data import load_binarized_test, load_digits
    from lecturelib.metrics import fcd_gap_with_spread, fcd_with_spread, frechet_classifier_distance
    from lecturelib.recipes import as_coins, load_pretrained

    classifier, reference = load_pretrained("classifier"), load_binarized_test().x[:500]
    a = as_coins(load_digits("train")[0][:400])
    flips = torch.rand(a.shape, generator=torch.Generator().manual_seed(0)) < 0.02
    b = torch.where(flips, 1 - a, a)
    gap = fcd_gap_with_spread(b, a, reference, classifier, num_halves=20)
    expected = frechet_classifier_distance(b, reference, classifier) - frechet_classifier_distance(a, reference, classifier)
    assert gap.value == pytest.approx(expected, rel=1e-4)
    unpaired = math.hypot(*(fcd_with_spread(x, reference, classifier, num_halves=20).spread for x in (a, b)))
    assert 0 < gap.spread < 0.5 * unpaired
    assert fcd_gap_with_spread(a, a, reference, classifier, num_halves=2) == (0.0, 0.0)
    with pytest.raises(ValueError, match="paired sets need one shape"):
        fcd_gap_with_spread(a, a[:10], reference, classifier)


def test_fcd_floor_averages_the_disjoint_sets_of_real_digits():
    from lecturelib.data import load_digits
    from lecturelib.metrics import fcd_floor, frechet_distance
    from lecturelib.recipes import load_pretrained

    classifier = load_pretrained("classifier")
    x_train, _ = load_digits("train")
    x_test = load_digits("test").x[:1000]  # a smaller reference than the recipes' 2,000: a quicker test
    floor = fcd_floor(x_train[:3000], x_test, classifier, size=1000)  # three disjoint sets
    features, reference = classifier.features(x_train[:3000]), classifier.features(x_test)
    each = torch.tensor([frechet_distance(features[i:i + 1000], reference) for i in (0, 1000, 2000)])
    assert floor.value == pytest.approx(each.mean().item())
    assert floor.spread == pytest.approx(each.std().item() / 3 ** 0.5)
    with pytest.raises(ValueError, match="two disjoint sets"):
        fcd_floor(x_train[:1500], x_test, classifier, size=1000)


def test_bootstrap_means_centre_on_the_mean_with_the_standard_error():
    from lecturelib.metrics import bootstrap_means

    values = torch.randn(2000, generator=torch.Generator().manual_seed(0)) + 3
    means = bootstrap_means(values, num_draws=2000, generator=torch.Generator().manual_seed(1))
    assert means.mean().item() == pytest.approx(values.mean().item(), abs=0.01)
    assert means.std().item() == pytest.approx(values.std().item() / 2000 ** 0.5, rel=0.1)


def test_classifier_measures_on_real_digits_and_on_noise():
    from lecturelib.data import load_digits
    from lecturelib.metrics import classifier_accuracy, classifier_labels, confident_share
    from lecturelib.recipes import load_pretrained

    classifier = load_pretrained("classifier")
    x_test, y_test = load_digits("test")
    assert classifier_accuracy(x_test, y_test, classifier) > 0.95
    assert classifier_accuracy(x_test, (y_test + 1) % 10, classifier) < 0.05  # labels shifted: wrong
    assert confident_share(x_test, classifier) > 0.85
    assert confident_share(torch.zeros(10, 1, 28, 28), classifier, threshold=1.01) == 0.0
    assert classifier_labels(x_test[:7], classifier).shape == (7,)


def test_energy_distance_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(1500, 2, generator=g), torch.randn(1500, 2, generator=g)
    same = energy_distance(a, b)
    assert abs(same) < 0.01
    shifted = [energy_distance(a, b + torch.tensor([shift, 0.0])) for shift in (0.5, 1.0, 2.0)]
    assert same < shifted[0] < shifted[1] < shifted[2]


def test_path_straightness_is_one_for_a_line_and_more_for_a_bend():
    line = torch.linspace(0, 1, 5)[:, None, None] * torch.tensor([[3.0, 4.0]])  # (5, 1, 2)
    bend = torch.tensor([[[0.0, 0.0]], [[1.0, 1.0]], [[2.0, 0.0]]])  # up, then down: (3, 1, 2)
    assert path_straightness(line).item() == pytest.approx(1.0)
    assert path_straightness(bend).item() == pytest.approx(2 ** 0.5)


def test_figure_paths_and_steps_draws_both_panels():
    paths = {"a": torch.randn(5, 3, 2), "b": torch.randn(5, 3, 2)}
    distances = {"a": torch.rand(3, 2), "b": torch.rand(3, 2)}
    fig = figure_paths_and_steps(paths, torch.randn(50, 2), (1, 2), distances, 0.01)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 6
    plt.close(fig)


def test_stroke_measures_read_ink_width_and_slant_of_drawn_bars():
    bars = torch.zeros(3, 1, 28, 28)
    bars[0, 0, 4:24, 13:15] = 1  # upright, 2 pixels wide
    for row in range(4, 24):  # the same bar leaning right: one column per 4 rows upwards
        bars[1, 0, row, 13 + (24 - row) // 4:15 + (24 - row) // 4] = 1
    bars[2, 0, 4:24, 10:18] = 1  # upright, 8 pixels wide
    strokes = stroke_measures(bars)
    torch.testing.assert_close(strokes.ink, torch.tensor([40, 40, 160]) / 784)
    assert strokes.slant[0].abs() < 1e-6 and strokes.slant[2].abs() < 1e-6
    assert abs(strokes.slant[1] - 0.25) < 0.01
    assert abs(strokes.width[1] - strokes.width[0]) < 0.1 < 4 * strokes.width[0] < strokes.width[2]
