"""Assignment 04: a VAE written here independently of the check's reference, from lecturelib's own
pieces, passes; right answers written other ways get through the cheap probes, other slips are
named there; the judge of the trained model can fail on each of its measures; what is not a model
is refused clearly. (tests/test_exercises.py feeds the check its reference and each usual mistake.)"""

import torch
from torch import nn
from torch.distributions import Bernoulli, Normal

from lecturelib.data import load_binarized_test
from lecturelib.exercises import vae_model as assignment
from lecturelib.exercises.vae_probes import LATENT_DIM, loss_problem
from lecturelib.models.likelihood import bernoulli_nll
from lecturelib.models.vae import gaussian_kl, reparameterize


class LibraryVAE(nn.Module):
    """Notebook 04's VAE as an MLP with separate heads for mu and logvar, from the library's
    reparameterization, Gaussian KL and Bernoulli likelihood."""

    def __init__(self, latent_dim, hidden=400):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU())
        self.mu, self.logvar = nn.Linear(hidden, latent_dim), nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 784))

    def encode(self, x):
        h = self.body(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return self.decoder(z).view(-1, 1, 28, 28)

    def loss(self, x):
        mu, logvar = self.encode(x)
        return (bernoulli_nll(self.decode(reparameterize(mu, logvar)), x) + gaussian_kl(mu, logvar)).mean()


def test_a_vae_written_independently_passes_and_leaves_the_global_stream_alone():
    before = torch.random.get_rng_state()
    verdict = assignment.vae_model.verdict(LibraryVAE)
    assert verdict.passed, verdict.message
    assert "IWAE-100 estimate" in verdict.message and "read as digits" in verdict.message  # put to work
    assert torch.equal(torch.random.get_rng_state(), before)


class SampledKL(LibraryVAE):
    """A right loss written another way: torch.distributions, two draws of z, the KL by Monte Carlo."""

    def loss(self, x):
        mu, logvar = self.encode(x)
        q = Normal(mu, (0.5 * logvar).exp())
        terms = []
        for _ in range(2):
            z = q.rsample()
            log_px = Bernoulli(logits=self.decode(z)).log_prob(x).sum((1, 2, 3))
            terms.append(-log_px + (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(1))
        return torch.stack(terms).mean()


def _probe(answer):
    x = load_binarized_test().x[:64]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return loss_problem(answer(LATENT_DIM), x, torch.Generator().manual_seed(0))


def test_the_probes_pass_right_losses_written_other_ways_and_name_other_slips():
    assert _probe(SampledKL) is None

    class UniformNoise(LibraryVAE):  # torch.rand_like for torch.randn_like
        def loss(self, x):
            mu, logvar = self.encode(x)
            z = mu + (0.5 * logvar).exp() * torch.rand_like(mu)
            return (bernoulli_nll(self.decode(z), x) + gaussian_kl(mu, logvar)).mean()

    class LogvarAsSigma(LibraryVAE):
        def loss(self, x):
            mu, logvar = self.encode(x)
            return (bernoulli_nll(self.decode(mu + logvar * torch.randn_like(mu)), x) + gaussian_kl(mu, logvar)).mean()

    class NoKL(LibraryVAE):
        def loss(self, x):
            mu, logvar = self.encode(x)
            return bernoulli_nll(self.decode(reparameterize(mu, logvar)), x).mean()

    class ThroughTheNetworks(LibraryVAE):  # skips encode and decode
        def loss(self, x):
            h = self.body(x)
            mu, logvar = self.mu(h), self.logvar(h)
            logits = self.decoder(reparameterize(mu, logvar)).view(-1, 1, 28, 28)
            return (bernoulli_nll(logits, x) + gaussian_kl(mu, logvar)).mean()

    assert "should be standard normal noise; it has mean 0.5" in _probe(UniformNoise)
    assert "used logvar itself as the standard deviation" in _probe(LogvarAsSigma)
    assert "the KL term is missing" in _probe(NoKL)
    assert "never called self.decode" in _probe(ThroughTheNetworks)


def test_the_judge_of_the_trained_model_can_fail_on_each_measure():
    right = {"-ELBO": 109.2, "their loss": 107.3, "-IWAE": 102.3, "readable": 0.38, "seconds": 20.0}  # seed 0
    assert assignment.judge(right) is None
    # each measured on a trained model that the probes would have stopped first (seed 0)
    without_kl = {"-ELBO": 295.2, "their loss": 73.3, "-IWAE": 285.7, "readable": 0.02, "seconds": 18.0}
    assert "your loss is not the -ELBO" in assignment.judge(without_kl)
    assert "read as digits" in assignment.judge({**without_kl, "their loss": 300.0, "-ELBO": 110.0})
    assert "your trained VAE's test -ELBO is 128.0" in assignment.judge({**right, "-ELBO": 128.0})
    assert "not a finite number" in assignment.judge({**right, "-ELBO": float("nan")})


def test_the_vae_check_refuses_what_is_not_a_model_with_a_clear_message():
    verdict = assignment.vae_model.verdict(lambda latent_dim: "a model")
    assert verdict.status == "wrong" and "nn.Module subclass" in verdict.message
    verdict = assignment.vae_model.verdict(lambda d: nn.Linear(d, d))  # a module, not a VAE
    assert verdict.status == "wrong" and "no method `encode`" in verdict.message

    class OneTensor(LibraryVAE):  # mu and logvar left in one (B, 2D) tensor
        def encode(self, x):
            return torch.cat(super().encode(x), 1)

    verdict = assignment.vae_model.verdict(OneTensor)
    assert verdict.status == "wrong" and "two tensors, mu and logvar" in verdict.message
