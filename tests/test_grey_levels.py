"""The grey-level models: the normalizing flow (exact inverse, log-determinant against autograd's
Jacobian, the dequantization bound), the 256-way PixelCNN (causal, a distribution over levels) and
independent grey levels (a histogram per pixel)."""

import math

import pytest
import torch

from lecturelib.data import load_digits
from lecturelib.models.baselines import IndependentGreyLevels
from lecturelib.models.diffusion import DiffusionConfig, DiffusionModel
from lecturelib.models.diffusion.bound import (EXACT_ENDS, discretized_gaussian_log_prob, prior_term,
                                              variational_bound)
from lecturelib.models.diffusion.schedule import Schedule, elbo_weights
from lecturelib.models.flow import (AffineCoupling, FlowConfig, RealNVP, channel_mask, checkerboard, squeeze,
                                    unsqueeze)
from lecturelib.models.grey_pixelcnn import GreyPixelCNN, GreyPixelCNNConfig, draw_level

SMALL = FlowConfig(couplings=(2, 2, 2), hidden=(8, 8, 8), num_blocks=1)


def perturbed(model: torch.nn.Module, seed: int = 0, size: float = 0.05) -> torch.nn.Module:
    """Move every weight off its initial value: the couplings start as the identity, which would
    pass any test of an inverse or a determinant."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(size * torch.randn(p.shape, generator=generator, dtype=p.dtype))
    return model


def levels(n: int, seed: int = 0) -> torch.Tensor:
    """n random 8-bit images (n, 1, 28, 28), k / 255."""
    return torch.randint(0, 256, (n, 1, 28, 28), generator=torch.Generator().manual_seed(seed)).float() / 255


def test_squeeze_is_a_permutation_that_unsqueeze_undoes():
    x = torch.arange(2 * 3 * 4 * 6, dtype=torch.float).view(2, 3, 4, 6)
    y = squeeze(x)
    assert y.shape == (2, 12, 2, 3)
    assert torch.equal(unsqueeze(y), x)
    assert torch.equal(y.flatten().sort().values, x.flatten())
    assert torch.equal(y[0, :4, 0, 0], torch.tensor([0., 1., 6., 7.]))  # the first 2x2 patch of channel 0


def test_masks_split_the_values_in_two_halves():
    board = checkerboard(4, 4, 0)
    assert board.sum() == 8 and torch.equal(board + checkerboard(4, 4, 1), torch.ones(1, 1, 4, 4))
    assert board[0, 0, 0, 0] == 1 and board[0, 0, 0, 1] == 0
    assert torch.equal(channel_mask(4, 0).flatten(), torch.tensor([1., 1., 0., 0.]))
    assert torch.equal(channel_mask(4, 1).flatten(), torch.tensor([0., 0., 1., 1.]))


@pytest.mark.parametrize("mask", [checkerboard(6, 6, 1), channel_mask(4, 0)], ids=["checkerboard", "channels"])
def test_a_coupling_keeps_its_half_and_inverts_exactly(mask):
    channels = 1 if mask.shape[1] == 1 else mask.shape[1]
    layer = perturbed(AffineCoupling(mask, channels, 8, 1).double())
    v = torch.randn(3, channels, 6, 6, dtype=torch.float64)
    z, log_det = layer(v)
    kept = mask.expand_as(v).bool()
    assert torch.equal(z[kept], v[kept])
    assert not torch.allclose(z[~kept], v[~kept])  # it does transform the other half
    assert (layer.inverse(z) - v).abs().max() < 1e-12
    jacobian = torch.func.jacfwd(lambda a: layer(a.view(1, *v.shape[1:]))[0].flatten())(v[0].flatten())
    assert log_det[0].item() == pytest.approx(torch.linalg.slogdet(jacobian)[1].item(), abs=1e-9)


def test_the_flow_inverts_to_float_precision_and_its_log_det_is_autograds():
    model = perturbed(RealNVP(FlowConfig(couplings=(2, 2, 2), hidden=(4, 4, 4), num_blocks=1)).double())  # narrow: quick
    v = torch.rand(2, 1, 28, 28, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 0.9 + 0.05
    z, log_det = model(v)
    assert z.shape == (2, 784)
    assert (model.inverse(z) - v).abs().max() < 1e-10
    jacobian = torch.func.jacrev(lambda a: model(a.view(1, 1, 28, 28))[0].flatten())(v[0].flatten())  # 784 x 784
    sign, logabsdet = torch.linalg.slogdet(jacobian)
    assert sign.item() == 1.0  # every layer is orientation-preserving (exp(s) > 0, a monotone logit)
    assert log_det[0].item() == pytest.approx(logabsdet.item(), abs=1e-8)


def test_the_flow_in_float32_round_trips_to_float_precision():
    model = perturbed(RealNVP(SMALL))
    v = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(2)) * 0.9 + 0.05
    assert (model.inverse(model(v)[0]) - v).abs().max() < 1e-4


def test_the_dequantization_bound_is_a_bound_on_a_discrete_distribution():
    """A flow at initialisation is a fixed density on (0, 1)^784; its bound for a digit is below
    the log of the probability its own bin receives, estimated by Monte Carlo: E[log p] <= log E[p]."""
    model = RealNVP(FlowConfig(couplings=(1, 1, 1), hidden=(4, 4, 4), num_blocks=1))
    x = levels(1, seed=3)
    with torch.no_grad():
        draws = torch.stack([model.log_prob(x, generator=torch.Generator().manual_seed(s)) for s in range(16)])
    bound = draws.mean()
    log_mass = torch.logsumexp(draws, 0) - math.log(len(draws))  # log of the mean of P over u: Jensen
    assert bound <= log_mass
    assert model.log_prob(x, centre=True).shape == (1,)


def test_the_flow_learns_and_refuses_what_is_not_8_bit():
    torch.manual_seed(0)
    model = RealNVP(SMALL)
    x = load_digits("train").x[:16]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    before = model.loss(x).item()
    for _ in range(15):
        optimizer.zero_grad()
        model.loss(x).backward()
        optimizer.step()
    assert model.loss(x).item() < before - 784 * 0.5  # half a nat per pixel, at least
    with pytest.raises(ValueError, match="8-bit grey levels"):
        model.log_prob((x > 0.5).float() * 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.log_prob(x * 255)
    with pytest.raises(ValueError, match="temperature"):
        model.sample(2, temperature=0)
    with pytest.raises(ValueError, match=r"\(B, 784\)"):
        model.decode(torch.zeros(2, 28, 28))


def test_flow_samples_and_decoding_are_8_bit_digits():
    model = perturbed(RealNVP(SMALL))
    x = model.sample(5, generator=torch.Generator().manual_seed(0))
    assert x.shape == (5, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    assert torch.allclose(x * 255, (x * 255).round(), atol=1e-4)
    digits = load_digits("test").x[:3]
    assert torch.allclose(model.decode(model.encode(digits)), digits, atol=1e-5)  # the exact latent


def test_the_grey_pixelcnn_is_causal_and_its_levels_sum_to_one():
    model = perturbed(GreyPixelCNN(GreyPixelCNNConfig(channels=8, num_blocks=2, head_channels=16)), size=0.1)
    x = levels(1).requires_grad_(True)
    model.logits(x)[0, :, 10, 12].sum().backward()
    seen = x.grad[0, 0].abs() > 0
    order = torch.arange(784).view(28, 28)
    assert not seen[order >= 10 * 28 + 12].any()  # nothing at or after the pixel
    assert seen[10, 11] and seen[9, 12]  # its left and upper neighbours
    probs = model.logits(levels(2)).softmax(1)
    assert torch.allclose(probs.sum(1), torch.ones(2, 28, 28))
    # log P(x) equals the sum of the chosen levels' log-probabilities, computed here by indexing
    x = levels(2, seed=5)
    log_probs = model.logits(x).log_softmax(1)
    chosen = log_probs.gather(1, (x * 255).round().long()).flatten(1).sum(1)
    assert torch.allclose(model.log_prob(x), chosen, atol=1e-3)


def test_a_level_is_drawn_by_its_inverse_cdf():
    probs = torch.tensor([[0.5, 0.25, 0.25] + [0.0] * 253])
    for u, level in [(0.0, 0), (0.49, 0), (0.5, 1), (0.74, 1), (0.76, 2), (0.9999, 2)]:
        assert draw_level(probs, torch.tensor([[u]])).item() == level
    many = draw_level(probs.expand(20000, -1), torch.rand(20000, 1, generator=torch.Generator().manual_seed(0)))
    assert torch.bincount(many, minlength=3)[:3].float().div(20000).sub(torch.tensor([0.5, 0.25, 0.25])).abs().max() < 0.01


def test_grey_pixelcnn_samples_are_levels_and_seeded_and_the_cache_changes_nothing():
    model = perturbed(GreyPixelCNN(GreyPixelCNNConfig(channels=4, num_blocks=2, first_kernel=3, head_channels=8)))
    a = model.sample(2, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(a * 255, (a * 255).round(), atol=1e-4) and len(a.unique()) > 10
    first_rows = model.sample(2, generator=torch.Generator().manual_seed(0), rows=2)
    assert torch.equal(first_rows[..., :2, :], a[..., :2, :])  # the same seed, the same digits
    assert first_rows[..., 2:, :].eq(0).all()
    # the lecture's loop (a whole pass per pixel) draws the same digits as the cached sampler
    plain = model.sample(2, generator=torch.Generator().manual_seed(0), rows=6, cached=False)
    assert torch.allclose(plain[..., :6, :], a[..., :6, :], atol=1e-6)
    with pytest.raises(ValueError, match="8-bit"):
        model.log_prob(torch.full((1, 1, 28, 28), 0.5))
    with pytest.raises(ValueError, match="rows"):
        model.sample(1, rows=0)


def test_independent_grey_levels_are_smoothed_histograms():
    x = levels(50, seed=7)
    model = IndependentGreyLevels(x, prior=0.5)
    k = (x * 255).round().long().flatten(1)
    pixel = 100
    count = (k[:, pixel] == k[0, pixel]).sum().item()
    assert model.log_probs[pixel, k[0, pixel]].exp().item() == pytest.approx((count + 0.5) / (50 + 256 * 0.5))
    assert torch.allclose(model.log_probs.exp().sum(1), torch.ones(784))
    expected = sum(model.log_probs[i, k[0, i]] for i in range(784))
    assert model.log_prob(x[:1]).item() == pytest.approx(expected.item(), rel=1e-5)
    assert model.sample(3, generator=torch.Generator().manual_seed(0)).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="prior"):
        IndependentGreyLevels(x, prior=0)


# ---------------------------------------------------------------------------------------------
# the diffusion model's bound on the same scale
# ---------------------------------------------------------------------------------------------

def normal_cdf(value: float, mean: float, sd: float) -> float:
    return 0.5 * (1 + math.erf((value - mean) / (sd * math.sqrt(2))))


def test_the_discretized_decoder_gives_each_level_its_bin_and_the_levels_sum_to_one():
    mean, sd = 0.1, 0.3
    levels_signed = torch.arange(256, dtype=torch.float64) * 2 / 255 - 1  # every level of one pixel
    x0 = levels_signed.view(256, 1, 1, 1).float()
    log_mass = discretized_gaussian_log_prob(x0, torch.full_like(x0, mean), sd)
    assert log_mass.exp().sum().item() == pytest.approx(1.0, abs=1e-6)
    for k in (0, 100, 255):  # an inner bin, and the two open ones, by the error function
        low = 0.0 if k == 0 else normal_cdf(levels_signed[k].item() - 1 / 255, mean, sd)
        high = 1.0 if k == 255 else normal_cdf(levels_signed[k].item() + 1 / 255, mean, sd)
        assert log_mass[k].item() == pytest.approx(math.log(high - low), rel=1e-5)


def test_the_prior_term_is_torch_distributions_kl():
    model = DiffusionModel(DiffusionConfig(channels=8, num_steps=50))
    x0 = levels(2) * 2 - 1
    abar = model.schedule.abar[-1]
    q = torch.distributions.Normal(abar.sqrt() * x0, (1 - abar).sqrt())
    expected = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).flatten(1).sum(1)
    torch.testing.assert_close(prior_term(model.schedule, x0), expected, rtol=1e-4, atol=1e-6)


class ZeroNoise(torch.nn.Module):
    """A denoiser that always predicts eps = 0: then E||eps - 0||^2 = 784 at every t, so the
    middle terms' expectation is 784 sum_t w_t, known in closed form."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))  # so that the model has a device

    def forward(self, x, t, labels):
        return torch.zeros_like(x)


def test_the_bounds_sampled_middle_terms_estimate_the_full_sum():
    model = DiffusionModel(DiffusionConfig(channels=8, num_steps=200))
    model.net = ZeroNoise()
    model.schedule = Schedule(torch.linspace(1e-4, 0.1, 200))  # Ho et al.'s linear kind: no w_t towers over the rest
    x = levels(64, seed=4)
    bound = variational_bound(model, x, draws=8, generator=torch.Generator().manual_seed(0))
    weights = elbo_weights(model.schedule).double()  # t = 2..T
    expected = 784 * weights.sum().item()  # every t, in closed form
    first, last = EXACT_ENDS  # those terms are one draw of ||eps||^2 (chi-square, variance 2 * 784) each
    exact_var = 2 * 784 * (weights[:first].pow(2).sum() + weights[-last:].pow(2).sum()).item()
    spread = math.sqrt((exact_var + bound.middle_sd.pow(2).mean().item()) / len(x))
    assert abs(bound.middle.mean().item() - expected) < 3 * spread, (bound.middle.mean().item(), expected, spread)
    # a sampler that forgot to scale its draws by the number of steps they stand for is far off
    assert 3 * spread < 784 * weights[first:-last].sum().item() / 2
    assert torch.allclose(bound.total, bound.prior + bound.middle + bound.decoder)
    with pytest.raises(ValueError, match="8-bit"):
        variational_bound(model, torch.full((1, 1, 28, 28), 0.5))
