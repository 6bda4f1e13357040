"""density.py against references (torch.linalg.svd, torch.distributions) and invariants."""

import math

import pytest
import torch
from torch.distributions import Categorical, MixtureSameFamily, MultivariateNormal

from lecturelib.data import (TOY_1D_COMPONENTS, load_digits, sample_moons, sample_ring,
                             sample_toy_1d, toy_1d_log_prob)
from lecturelib.density import (PCA, GaussianMixture, cluster_purity, e_step,
                                fit_gaussian_mixture, histogram_log_prob, kde_log_prob, kmeans,
                                m_step)


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits("test")
    return x.flatten(1)[:1000], y[:1000]


def test_pca_matches_svd(digits):
    x, _ = digits
    pca = PCA.fit(x, num_components=20)
    centered = (x - x.mean(0)).double()
    _, singular, vh = torch.linalg.svd(centered, full_matrices=False)
    variance = singular ** 2 / len(x)
    torch.testing.assert_close(pca.explained_variance.double(), variance[:20], rtol=1e-4, atol=1e-6)
    # Same subspace: the projector onto our components equals the projector onto SVD's.
    ours = pca.components.double().T @ pca.components.double()
    theirs = vh[:20].T @ vh[:20]
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=0)
    assert pca.explained_variance_ratio.sum() < 1
    torch.testing.assert_close(pca.total_variance, variance.sum().item(), rtol=1e-6, atol=0)


def test_pca_reconstruction_with_all_components_is_exact(digits):
    x, _ = digits
    x = x[:100, 350:400]  # 50 pixels from the middle rows, where the ink is
    pca = PCA.fit(x)
    torch.testing.assert_close(pca.reconstruct(pca.project(x)), x, atol=1e-4, rtol=0)
    errors = [((pca.reconstruct(pca.project(x, k)) - x) ** 2).sum(1).mean().item() for k in (1, 5, 20)]
    assert errors[0] > errors[1] > errors[2]


def test_kmeans_inertia_never_increases(digits):
    x, _ = digits
    result = kmeans(x, 10, num_iters=30, generator=torch.Generator().manual_seed(0))
    steps = torch.tensor(result.inertia)
    assert len(steps) > 2
    assert torch.all(steps[1:] <= steps[:-1] * (1 + 1e-6))
    assert result.centers.shape == (10, 784) and result.labels.shape == (1000,)


def test_kmeans_finds_obvious_clusters():
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(50, 2, generator=g) * 0.1 + torch.tensor(c) for c in ([0.0, 0.0], [5.0, 5.0], [0.0, 5.0])])
    labels = torch.arange(3).repeat_interleave(50)
    result = kmeans(x, 3, generator=g)
    assert cluster_purity(result.labels, labels) == 1.0


def test_cluster_purity_by_hand():
    assert cluster_purity(torch.tensor([0, 0, 1, 1]), torch.tensor([3, 3, 3, 5])) == 0.75


def random_mixture(k=3, d=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(k, d, d, generator=g, dtype=torch.float64)
    return GaussianMixture(torch.softmax(torch.randn(k, generator=g, dtype=torch.float64), 0),
                           torch.randn(k, d, generator=g, dtype=torch.float64) * 3,
                           a @ a.transpose(1, 2) + 0.1 * torch.eye(d, dtype=torch.float64))


def test_mixture_log_prob_matches_torch_distributions():
    mixture = random_mixture(k=4, d=3)
    reference = MixtureSameFamily(Categorical(probs=mixture.weights),
                                  MultivariateNormal(mixture.means, covariance_matrix=mixture.covariances))
    x = torch.randn(200, 3, dtype=torch.float64) * 4
    torch.testing.assert_close(mixture.log_prob(x), reference.log_prob(x))


def test_mixture_samples_have_the_mixture_moments():
    mixture = random_mixture(k=2, d=2)
    x = mixture.sample(200_000, generator=torch.Generator().manual_seed(1))
    mean = (mixture.weights[:, None] * mixture.means).sum(0)
    torch.testing.assert_close(x.mean(0), mean, atol=0.05, rtol=0)


def test_em_never_decreases_the_log_likelihood():
    x = sample_moons(500, generator=torch.Generator().manual_seed(0)).x.double()
    _, history = fit_gaussian_mixture(x, 6, num_iters=60, tol=0, generator=torch.Generator().manual_seed(0))
    steps = torch.tensor(history)
    assert len(steps) == 60
    assert torch.all(steps[1:] >= steps[:-1] - 1e-9)
    assert steps[-1] > steps[0] + 0.1


def test_em_recovers_a_known_mixture():
    truth = random_mixture(k=3, d=2, seed=3)
    x = truth.sample(5000, generator=torch.Generator().manual_seed(0))
    fitted, _ = fit_gaussian_mixture(x, 3, num_iters=200, generator=torch.Generator().manual_seed(0))
    held_out = truth.sample(2000, generator=torch.Generator().manual_seed(1))
    assert abs(fitted.log_prob(held_out).mean() - truth.log_prob(held_out).mean()) < 0.05


def test_e_step_rows_sum_to_one_and_m_step_weights_too():
    mixture = random_mixture()
    x = torch.randn(50, 2, dtype=torch.float64)
    r = e_step(mixture, x)
    torch.testing.assert_close(r.sum(1), torch.ones(50, dtype=torch.float64))
    assert m_step(x, r).weights.sum().item() == pytest.approx(1.0)


@pytest.mark.parametrize("bandwidth", [0.05, 0.3, 1.0])
def test_kde_integrates_to_one(bandwidth):
    data = sample_toy_1d(300, generator=torch.Generator().manual_seed(0)).double()
    grid = torch.linspace(-12, 12, 24001, dtype=torch.float64)
    density = kde_log_prob(grid, data, bandwidth).exp()
    assert torch.trapezoid(density, grid).item() == pytest.approx(1.0, abs=1e-6)


def test_kde_in_2d_matches_a_mixture_of_equal_gaussians():
    data = torch.randn(20, 2, dtype=torch.float64)
    h = 0.4
    reference = MixtureSameFamily(Categorical(probs=torch.full((20,), 1 / 20, dtype=torch.float64)),
                                  MultivariateNormal(data, h ** 2 * torch.eye(2, dtype=torch.float64)))
    query = torch.randn(30, 2, dtype=torch.float64)
    torch.testing.assert_close(kde_log_prob(query, data, h), reference.log_prob(query))


def test_histogram_density_integrates_to_one_and_is_zero_outside():
    data = sample_toy_1d(1000, generator=torch.Generator().manual_seed(0)).clamp(-5, 4.99)
    grid = torch.linspace(-5, 5, 100001)[:-1]
    density = histogram_log_prob(grid, data, bins=40, low=-5, high=5).exp()
    assert torch.trapezoid(density, grid).item() == pytest.approx(1.0, abs=1e-3)
    assert histogram_log_prob(torch.tensor([6.0]), data, 40, -5, 5).item() == -math.inf


def test_toy_1d_density_matches_its_samples():
    x = sample_toy_1d(100_000, generator=torch.Generator().manual_seed(0))
    mean = sum(w * m for w, m, _ in TOY_1D_COMPONENTS)
    assert x.mean().item() == pytest.approx(mean, abs=0.02)
    grid = torch.linspace(-8, 8, 16001, dtype=torch.float64)
    assert torch.trapezoid(toy_1d_log_prob(grid).exp(), grid).item() == pytest.approx(1.0, abs=1e-6)


def test_ring_has_its_modes_on_the_circle():
    x = sample_ring(1000, num_modes=8, radius=2.0, std=0.01, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(x.norm(dim=1), torch.full((1000,), 2.0), atol=0.05)
    angles = torch.atan2(x[:, 1], x[:, 0])
    assert len(torch.unique(torch.round(angles / (torch.pi / 4)) % 8)) == 8


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="k must be between"):
        kmeans(torch.zeros(5, 2), 6)
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        PCA.fit(torch.zeros(5))
    with pytest.raises(ValueError, match="bandwidth must be positive"):
        kde_log_prob(torch.zeros(3), torch.zeros(3), 0.0)


def test_kde_chunking_gives_the_same_answer():
    data = torch.randn(300, 2)
    query = torch.randn(1000, 2)
    torch.testing.assert_close(kde_log_prob(query, data, 0.3, chunk_elements=1000),
                               kde_log_prob(query, data, 0.3))
