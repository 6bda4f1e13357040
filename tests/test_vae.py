"""VAE: loss terms against torch.distributions and hand computations; ELBO <= IWAE-k rising in k."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from lecturelib.models.likelihood import bernoulli_nll
from lecturelib.models.vae import (VAE, LossTerms, VAEConfig, VAEOutput, gaussian_kl, iwae_estimate, gaussian_log_prob, negative_elbo, reparameterize)


def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g)
    reference = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), reference)
    assert torch.all(gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)) == 0)


def test_gaussian_kl_matches_monte_carlo():
    mu, logvar = torch.tensor([[0.5, -1.0]]), torch.tensor([[-0.3, 0.4]])
    z = reparameterize(mu.expand(200_000, 2), logvar.expand(200_000, 2),
                       torch.randn(200_000, 2, generator=torch.Generator().manual_seed(0)))
    estimate = (gaussian_log_prob(z, mu, logvar) - gaussian_log_prob(z, torch.zeros(2), torch.zeros(2))).mean()
    assert estimate.item() == pytest.approx(gaussian_kl(mu, logvar).item(), abs=0.01)


def test_bernoulli_nll_matches_torch_distributions():
    logits = torch.randn(4, 1, 28, 28)
    x = torch.bernoulli(torch.full((4, 1, 28, 28), 0.3))
    reference = -Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(bernoulli_nll(logits, x), reference)


def test_gaussian_log_prob_matches_normal():
    z, mu, logvar = torch.randn(3, 4), torch.randn(3, 4), torch.randn(3, 4)
    reference = Normal(mu, (0.5 * logvar).exp()).log_prob(z).sum(-1)
    torch.testing.assert_close(gaussian_log_prob(z, mu, logvar), reference)


def test_reparameterize_passes_gradients_and_uses_given_noise():
    mu = torch.zeros(2, 3, requires_grad=True)
    logvar = torch.zeros(2, 3, requires_grad=True)
    noise = torch.ones(2, 3)
    z = reparameterize(mu, logvar, noise)
    torch.testing.assert_close(z, torch.ones(2, 3))
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None and logvar.grad.abs().sum() > 0


def test_negative_elbo_terms_and_beta():
    out = VAEOutput(torch.zeros(2, 1, 28, 28), torch.ones(2, 4), torch.zeros(2, 4), torch.zeros(2, 4))
    x = torch.zeros(2, 1, 28, 28)
    terms = negative_elbo(out, x, beta=3.0)
    assert isinstance(terms, LossTerms)
    assert terms.recon.item() == pytest.approx(784 * math.log(2), rel=1e-6)
    assert terms.kl.item() == pytest.approx(0.5 * 4, rel=1e-6)  # mu = 1 in 4 dims, sigma = 1
    assert terms.loss.item() == pytest.approx(terms.recon.item() + 3 * terms.kl.item(), rel=1e-6)


def test_shapes_and_sampling():
    model = VAE(VAEConfig(latent_dim=3))
    out = model(torch.zeros(5, 1, 28, 28))
    assert out.logits.shape == (5, 1, 28, 28) and out.mu.shape == out.logvar.shape == out.z.shape == (5, 3)
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert torch.equal(model.sample(4, generator=g1), model.sample(4, generator=g2))
    binary = model.sample(4, generator=g1, binary=True)
    assert set(binary.unique().tolist()) <= {0.0, 1.0}


def test_elbo_below_iwae_rising_in_k():
    """Burda et al. (2016), Theorem 1, on a briefly trained model and fixed digits."""
    from lecturelib.data import load_binarized_test

    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim=4, channels=8))
    x = load_binarized_test().x[:64]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(30):
        loss = model.loss(x).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        # The ELBO as an average over many single-sample estimates (k = 1 in expectation).
        elbo = torch.stack([-negative_elbo(model(x, noise=torch.randn(64, 4, generator=g)), x).loss
                            for _ in range(50)]).mean()
    estimates = [model.iwae_log_likelihood(x, k, generator=g).mean() for k in (1, 10, 100, 1000)]
    assert estimates[0].item() == pytest.approx(elbo.item(), abs=2.0)
    assert elbo <= estimates[1] <= estimates[2] <= estimates[3]


def test_iwae_chunking_does_not_change_the_estimate():
    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim=2, channels=4)).eval()
    x = torch.bernoulli(torch.full((3, 1, 28, 28), 0.2), generator=torch.Generator().manual_seed(0))
    a = model.iwae_log_likelihood(x, 48, generator=torch.Generator().manual_seed(5), chunk=16)
    b = model.iwae_log_likelihood(x, 48, generator=torch.Generator().manual_seed(5), chunk=48)
    torch.testing.assert_close(a, b)
    assert a.shape == (3,)


def test_grey_digits_are_refused_with_the_fix_named():
    model = VAE(VAEConfig(latent_dim=2, channels=4))
    grey = torch.rand(3, 1, 28, 28)
    with pytest.raises(ValueError, match="binarize"):
        model.loss(grey)
    with pytest.raises(ValueError, match="neither 0 nor 1"):
        model.iwae_log_likelihood(grey, 2)
    model.loss(torch.bernoulli(grey))  # binary digits: fine


def test_iwae_estimate_is_a_stable_log_mean_exp():
    log_w = torch.tensor([[-1000.0, -2.0], [-1000.0 + math.log(3), -2.0]])  # (k = 2, B = 2)
    expected = torch.tensor([-1000.0 + math.log(2), -2.0])  # log((1 + 3) / 2) = log 2
    torch.testing.assert_close(iwae_estimate(log_w), expected)
    model = VAE(VAEConfig(latent_dim=2, channels=4))
    x = torch.bernoulli(torch.rand(3, 1, 28, 28))
    assert model.log_weights(x, 5, torch.Generator().manual_seed(0)).shape == (5, 3)
    with pytest.raises(ValueError, match="k >= 1, the number of samples z per digit"):
        model.log_weights(x, 0)
