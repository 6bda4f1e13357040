"""Assignment 03: a PixelCNN written here independently of the check's reference, from lecturelib's
own masked layer's mask and the Bernoulli log-likelihood of torch.distributions, passes; what is not
a model, or is built from the library's own layer, is refused clearly.
(tests/test_exercises.py feeds the check its reference and each usual mistake.)"""

import torch
from torch import nn
from torch.distributions import Bernoulli
from torch.nn import functional as F

from lecturelib.exercises import pixelcnn_model as assignment
from lecturelib.models.pixelcnn import MaskedConv2d, causal_mask


class MaskedByParametrization(nn.Conv2d):
    """A masked layer another way: the mask enforced by a parametrization of the weight."""

    def __init__(self, c_in, c_out, k, mask_type):
        super().__init__(c_in, c_out, k, padding=k // 2)
        mask = causal_mask(k, mask_type)
        nn.utils.parametrize.register_parametrization(self, "weight", _Times(mask))


class _Times(nn.Module):
    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, weight):
        return weight * self.mask


class IndependentPixelCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = MaskedByParametrization(1, 12, 5, "A")
        self.hidden = nn.ModuleList(MaskedByParametrization(12, 12, 3, "B") for _ in range(4))
        self.out = nn.Conv2d(12, 1, 1)

    def logits(self, x):
        h = F.elu(self.first(x))
        for layer in self.hidden:
            h = h + F.elu(layer(h))  # residual
        return self.out(h)

    def loss(self, x):
        return -Bernoulli(logits=self.logits(x)).log_prob(x).sum((1, 2, 3)).mean()


def test_a_pixelcnn_written_independently_passes_and_leaves_the_global_stream_alone():
    before = torch.random.get_rng_state()
    verdict = assignment.pixelcnn_model.verdict(IndependentPixelCNN)
    assert verdict.passed, verdict.message
    assert "nats per test digit" in verdict.message  # what it measured, put to work
    assert torch.equal(torch.random.get_rng_state(), before)


class LibraryLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(MaskedConv2d.causal(1, 8, 7, "A"), nn.ReLU(), nn.Conv2d(8, 1, 1))

    def logits(self, x):
        return self.net(x)

    def loss(self, x):
        return F.binary_cross_entropy_with_logits(self.logits(x), x, reduction="none").sum((1, 2, 3)).mean()


def test_the_pixelcnn_check_refuses_what_is_not_a_model_or_not_your_own_layer():
    verdict = assignment.pixelcnn_model.verdict(lambda: "a model")
    assert verdict.status == "wrong" and "nn.Module subclass" in verdict.message
    verdict = assignment.pixelcnn_model.verdict(LibraryLayers)
    assert verdict.status == "wrong" and "build the masked layers yourself" in verdict.message
