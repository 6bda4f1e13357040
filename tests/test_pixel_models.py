"""PixelCNN, gated PixelCNN and Row LSTM: masks, causality, the likelihood, the samplers."""

import pytest
import torch
from torch.nn import functional as F

from lecturelib.models.pixelcnn import (GatedPixelCNN, GatedPixelCNNConfig, MaskedConv2d,
                                        PixelCNN, PixelCNNConfig, causal_mask, dependency_map,
                                        horizontal_mask, vertical_mask)
from lecturelib.models.pixelrnn import RowLSTM, RowLSTMConfig

SIZE = 28


def small_models():
    """One of each, small enough for fast tests but with the shipped structure."""
    return {"pixelcnn": PixelCNN(PixelCNNConfig(channels=8, num_blocks=3, head_channels=8)),
            "gated": GatedPixelCNN(GatedPixelCNNConfig(channels=8, num_layers=3, head_channels=8)),
            "row_lstm": RowLSTM(RowLSTMConfig(channels=8, hidden=8, num_layers=1, head_channels=8))}


@pytest.fixture(params=["pixelcnn", "gated", "row_lstm"])
def model(request):
    torch.manual_seed(0)
    return small_models()[request.param].eval()


def test_causal_masks_by_hand():
    assert causal_mask(3, "A").tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert causal_mask(3, "B").tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    assert causal_mask((1, 3), "B").tolist() == [[1, 1, 0]]
    assert vertical_mask(3, include_centre_row=False).tolist() == [[1, 1, 1], [0, 0, 0], [0, 0, 0]]
    assert horizontal_mask(3, include_centre=True).tolist() == [[1, 1, 0]]
    with pytest.raises(ValueError, match="'A' or 'B'"):
        causal_mask(3, "C")


@pytest.mark.parametrize("mask", [causal_mask(7, "A"), causal_mask(3, "B"), vertical_mask(5, False),
                                  vertical_mask(3, True), horizontal_mask(3, False)])
def test_masked_conv_is_a_plain_convolution_with_the_masked_kernel(mask):
    torch.manual_seed(0)
    conv = MaskedConv2d(3, 4, mask)
    x = torch.randn(2, 3, 9, 11)
    kh, kw = mask.shape
    expected = F.conv2d(x, conv.weight * mask, conv.bias, padding=(kh // 2, kw // 2))
    torch.testing.assert_close(conv(x), expected)
    conv.weight.data += 1.0  # weights where the mask is 0 can be anything: they never count
    torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight * mask, conv.bias, padding=(kh // 2, kw // 2)))


def test_causality_every_pixel(model):
    """d logit_i / d x_j == 0 exactly for every j >= i in raster order, for all 784 outputs:
    784 copies of one random image in a batch, output i of copy i backpropagated at once."""
    x = torch.bernoulli(torch.full((1, 1, SIZE, SIZE), 0.5)).repeat(SIZE * SIZE, 1, 1, 1)
    x.requires_grad_(True)
    logits = model.logits(x).flatten(1)  # (784, 784): row b = outputs of copy b
    logits.diagonal().sum().backward()
    grad = x.grad.flatten(1)  # (784, 784): row i = d logit_i / d x
    later_or_same = torch.ones(SIZE * SIZE, SIZE * SIZE).triu().bool()  # j >= i
    assert grad[later_or_same].abs().max().item() == 0.0
    assert grad[~later_or_same].abs().sum().item() > 0  # and it does look at the past


def test_blind_spot_of_pixelcnn_and_not_of_gated():
    """Output (14, 14): the PixelCNN cannot see the pixel one row up and four to the right
    (inside its reach, but in the blind spot); the gated PixelCNN can."""
    torch.manual_seed(0)
    models = small_models()
    x = torch.bernoulli(torch.full((1, 1, SIZE, SIZE), 0.5))
    pixelcnn = dependency_map(models["pixelcnn"].logits, 14, 14, x)
    gated = dependency_map(models["gated"].logits, 14, 14, x)
    assert pixelcnn[13, 18] == 0 and gated[13, 18] > 0
    # no holes in the gated field: every pixel in the rows above within its reach, and left
    reach = models["gated"].rows_above
    assert (gated[14 - reach:14, 14 - reach:14 + reach + 1] > 0).all()
    assert (gated[14, 14 - reach:14] > 0).all()


def test_log_prob_is_the_summed_bernoulli_likelihood(model):
    x = torch.bernoulli(torch.full((5, 1, SIZE, SIZE), 0.3))
    p = torch.sigmoid(model.logits(x))
    by_hand = (x * p.log() + (1 - x) * (1 - p).log()).flatten(1).sum(1)
    torch.testing.assert_close(model.log_prob(x), by_hand, rtol=1e-4, atol=1e-3)
    assert model.loss(x).shape == ()


def test_the_cached_sampler_equals_the_plain_loop_from_any_start(model):
    """Fast generation keeps each layer's activations; starting mid-row (a completion) it must
    still give the plain loop's digits, in float64 so that no rounding can flip a coin."""
    model = model.double()
    given = torch.bernoulli(torch.full((4, 1, SIZE, SIZE), 0.4, dtype=torch.float64))
    for num_given in (0, 9 * SIZE + 13):
        fast = model.sample(given=given, num_given=num_given, generator=torch.Generator().manual_seed(3))
        plain = model.sample(given=given, num_given=num_given, generator=torch.Generator().manual_seed(3),
                             fast=False)
        assert torch.equal(fast, plain)


def test_row_lstm_row_step_equals_full_pass():
    torch.manual_seed(0)
    net = small_models()["row_lstm"].eval()
    x = torch.bernoulli(torch.full((2, 1, SIZE, SIZE), 0.4))
    full = net.logits(x)
    states = [layer.initial_state(x) for layer in net.layers]
    for row in range(SIZE):  # what the Row LSTM's fast sampler relies on
        logits, states = net._row(x, row, states)
        torch.testing.assert_close(logits, full[:, 0, row], rtol=1e-4, atol=1e-5)


def test_the_sampler_draws_binary_digits_and_keeps_given_pixels(model):
    """(That the fast sampler draws the plain loop's digits: the cached-sampler test above.)"""
    sample = model.sample(2, generator=torch.Generator().manual_seed(1))
    assert sample.shape == (2, 1, SIZE, SIZE)
    assert set(sample.unique().tolist()) <= {0.0, 1.0}
    given = torch.bernoulli(torch.full((3, 1, SIZE, SIZE), 0.5))
    completed, probs = model.sample_with_probs(given=given, num_given=14 * SIZE,
                                               generator=torch.Generator().manual_seed(2))
    assert torch.equal(completed[:, :, :14], given[:, :, :14])
    assert (probs[:, :, :14] == 0).all(), "given pixels are kept, not drawn"


def test_the_sampler_draws_from_the_models_own_conditionals(model):
    """At every drawn pixel, the probability used is sigmoid(logit) of the finished digit: the
    pixels after it cannot change it (causality), so the draw was p(x_i | x_<i) itself."""
    x, probs = model.sample_with_probs(3, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(probs, torch.sigmoid(model.logits(x)), rtol=1e-4, atol=1e-5)


def test_grey_or_misshaped_digits_are_refused(model):
    with pytest.raises(ValueError, match="binarized"):
        model.log_prob(torch.full((2, 1, SIZE, SIZE), 0.3))
    with pytest.raises(ValueError, match="binarized"):
        model.sample(given=torch.full((2, 1, SIZE, SIZE), 0.3), num_given=10)
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\), got \(2, 28, 28\): no channel dimension; pass x.unsqueeze\(1\)"):
        model.log_prob(torch.zeros(2, SIZE, SIZE))
    with pytest.raises(ValueError, match=r"got \(2, 1, 32, 32\): the model is built for 28x28 digits"):
        model.log_prob(torch.zeros(2, 1, 32, 32))  # it would score them: -1,047 nats, a number for nothing


def test_sampler_rejects_bad_arguments(model):
    with pytest.raises(ValueError, match="n >= 1"):
        model.sample()
    with pytest.raises(ValueError, match="num_given"):
        model.sample(given=torch.zeros(1, 1, SIZE, SIZE), num_given=SIZE * SIZE + 1)


def test_masked_conv_rejects_an_empty_mask():
    with pytest.raises(ValueError, match="all zeros"):
        MaskedConv2d(1, 1, torch.zeros(3, 3))


def test_training_lowers_the_nll():
    torch.manual_seed(0)
    net = small_models()["pixelcnn"].train()
    x = torch.bernoulli(torch.full((16, 1, SIZE, SIZE), 0.1))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = net.loss(x).item()
    for _ in range(30):
        loss = net.loss(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert net.loss(x).item() < 0.7 * first
