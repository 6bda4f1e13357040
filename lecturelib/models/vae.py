"""Variational autoencoder with a Bernoulli decoder on binarized digits.

Taught in notebooks/04_variational_autoencoders.ipynb. References:
- D. P. Kingma, M. Welling (2014). Auto-Encoding Variational Bayes. arXiv:1312.6114.
  (The closed-form Gaussian KL is their Appendix B.)
- D. J. Rezende, S. Mohamed, D. Wierstra (2014). Stochastic Backpropagation and Approximate
  Inference in Deep Generative Models. arXiv:1401.4082.
- Y. Burda, R. Grosse, R. Salakhutdinov (2016). Importance Weighted Autoencoders. arXiv:1509.00519.
- I. Higgins et al. (2017). beta-VAE. ICLR. (The beta knob on the KL term.)

Generative story: z ~ p(z) = N(0, I), x ~ p_theta(x | z) = prod_i Bernoulli(x_i; sigmoid(logits_i(z))).
Encoder: q_phi(z | x) = N(mu(x), diag(exp(logvar(x)))). For every digit x,

    log p(x) = ELBO(x) + KL(q_phi(z|x) || p(z|x)) >= ELBO(x),
    ELBO(x)  = E_q[log p_theta(x|z)] - KL(q_phi(z|x) || p(z)),

and training maximises the ELBO averaged over digits. All terms here are in nats per digit
(summed over the 784 pixels and the D latent dimensions, averaged over the batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import torch

from .autoencoder import ConvDecoder, ConvEncoder, LatentModel
from .checks import BINARY, UNIT, check_count, check_images
from .likelihood import bernoulli_nll

LOG_2PI = math.log(2 * math.pi)


class VAEOutput(NamedTuple):
    logits: torch.Tensor  # (B, 1, 28, 28) Bernoulli logits of p(x|z)
    mu: torch.Tensor  # (B, D) mean of q(z|x)
    logvar: torch.Tensor  # (B, D) log variance of q(z|x)
    z: torch.Tensor  # (B, D) one sample of q(z|x)


class LossTerms(NamedTuple):
    loss: torch.Tensor  # what is minimised: recon + beta * kl (= -ELBO when beta = 1)
    recon: torch.Tensor  # -E_q[log p(x|z)], one-sample estimate, nats per digit
    kl: torch.Tensor  # KL(q(z|x) || p(z)), closed form, nats per digit


# ---------------------------------------------------------------------------------------------
# The loss, one term per function
# ---------------------------------------------------------------------------------------------

def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) per example: (B, D) -> (B,).
    Kingma & Welling (2014), Appendix B:  -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)


def negative_elbo(output: VAEOutput, x: torch.Tensor, beta: float = 1.0) -> LossTerms:
    """-ELBO = E_q[-log p(x|z)] + beta * KL(q(z|x) || p(z)), averaged over the batch.
    beta = 1 is the VAE; other values trade reconstruction against the prior (beta-VAE)."""
    recon = bernoulli_nll(output.logits, x).mean()  # one z per digit: an unbiased estimate
    kl = gaussian_kl(output.mu, output.logvar).mean()
    return LossTerms(recon + beta * kl, recon, kl)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor,
                   noise: torch.Tensor | None = None) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I): the randomness is an input, so gradients flow
    to mu and logvar (Kingma & Welling 2014, §2.4). Pass `noise` to fix eps."""
    if noise is None:
        noise = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * noise


def iwae_estimate(log_weights: torch.Tensor) -> torch.Tensor:
    """log (1/k) sum_j w_j from log-weights (k, B) -> (B,), stably: the w_j of a digit are around
    e^-100 and underflow to 0 in float32, their logs do not."""
    return torch.logsumexp(log_weights, dim=0) - math.log(len(log_weights))


def prior_quantile_grid(steps: int, low: float = 0.03, high: float = 0.97) -> torch.Tensor:
    """A steps x steps grid of 2-D codes at the quantiles of N(0, I), (steps^2, 2), row by row
    from the top left: through the Gaussian inverse CDF, so every cell holds the same prior mass."""
    q = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(low, high, steps))
    return torch.stack(torch.meshgrid(q, q.flip(0), indexing="xy"), -1).reshape(-1, 2)


def gaussian_log_prob(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag(exp(logvar))) summed over the last dimension: (..., D) -> (...)."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) / logvar.exp()).sum(-1)


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VAEConfig:
    latent_dim: int = 16  # D; Kingma & Welling use 20 on MNIST
    channels: int = 32  # C of the first conv layer, as in ConvAutoencoder
    beta: float = 1.0  # weight of the KL term; 1 = the true ELBO


class VAE(LatentModel):
    """Convolutional encoder -> (mu, logvar); decoder z -> Bernoulli logits. The blocks are the
    convolutional autoencoder's, with the encoder giving 2D numbers instead of D; `decode` (its
    pixel probabilities) is the autoencoder's too."""

    def __init__(self, config: VAEConfig = VAEConfig()):
        super().__init__()
        self.config = config
        self.encoder = ConvEncoder(2 * config.latent_dim, config.channels)  # x -> (B, 2D)
        self.decoder = ConvDecoder(config.latent_dim, config.channels)  # z -> (B, 1, 28, 28)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_images(x, "VAE.encode", UNIT)  # binarized digits or grey levels, (B, 1, 28, 28)
        mu, logvar = self.encoder(x).chunk(2, dim=1)  # (B, D), (B, D)
        return mu, logvar

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> VAEOutput:
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, noise)  # (B, D)
        return VAEOutput(self.decoder(z), mu, logvar, z)

    def loss(self, x: torch.Tensor) -> LossTerms:
        check_images(x, "VAE.loss", BINARY)
        return negative_elbo(self(x), x, self.config.beta)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None,
               binary: bool = False) -> torch.Tensor:
        """Ancestral sampling: z ~ N(0, I), then x ~ p(x|z). Returns the pixel probabilities
        (the usual picture) or, with binary=True, one Bernoulli draw of every pixel."""
        device = next(self.parameters()).device
        z = torch.randn(check_count(n, "VAE.sample"), self.config.latent_dim, generator=generator).to(device)  # (n, D)
        probs = self.decode(z)
        if binary:
            return torch.bernoulli(probs.cpu(), generator=generator).to(device)
        return probs

    @torch.no_grad()
    def log_weights(self, x: torch.Tensor, k: int, generator: torch.Generator | None = None,
                    chunk: int = 100, decode_batch: int = 2000) -> torch.Tensor:
        """Importance log-weights log w_j = log p(x|z_j) + log p(z_j) - log q(z_j|x) of k samples
        z_j ~ q(z|x) per digit: (k, B). Samples are drawn `chunk` at a time, and decoded
        `decode_batch` codes at a time, to bound memory (500 digits x 100 samples at once would
        take gigabytes)."""
        check_count(k, "VAE.log_weights", "samples z per digit", "k")
        check_images(x, "VAE.log_weights", BINARY)
        mu, logvar = self.encode(x)  # (B, D)
        log_weights = []
        for start in range(0, k, chunk):
            m = min(chunk, k - start)
            noise = torch.randn(m, *mu.shape, generator=generator).to(mu.device)  # (m, B, D)
            z = reparameterize(mu, logvar, noise)  # (m, B, D)
            logits = torch.cat([self.decoder(part) for part in z.flatten(0, 1).split(decode_batch)])  # (m*B, 1, 28, 28)
            log_px_z = -bernoulli_nll(logits, x.repeat(m, 1, 1, 1), checked=True).view(m, -1)  # (m, B)
            log_pz = gaussian_log_prob(z, torch.zeros_like(z), torch.zeros_like(z))  # (m, B)
            log_qz = gaussian_log_prob(z, mu, logvar)  # (m, B)
            log_weights.append(log_px_z + log_pz - log_qz)
        return torch.cat(log_weights)

    @torch.no_grad()
    def traverse(self, code: torch.Tensor, dims: Sequence[int], values: torch.Tensor) -> torch.Tensor:
        """Decode `code` (D,) with dimension d set to each of `values`, for each d in `dims`:
        (len(dims) * len(values), 1, 28, 28), one row of images per dimension."""
        codes = code.repeat(len(dims), len(values), 1)  # (dims, values, D)
        for row, d in enumerate(dims):
            codes[row, :, d] = values
        return self.decode(codes.flatten(0, 1))

    def iwae_log_likelihood(self, x: torch.Tensor, k: int, generator: torch.Generator | None = None,
                            chunk: int = 100, decode_batch: int = 2000) -> torch.Tensor:
        """Importance-weighted estimate of log p(x) per digit (B,) with k samples of q(z|x)
        (Burda et al. 2016):

            log p(x) ~ log (1/k) sum_j p(x|z_j) p(z_j) / q(z_j|x),   z_j ~ q(z|x).

        k = 1 is the ELBO (in expectation); the bound tightens as k grows. Computed in log
        space with logsumexp: the weights themselves underflow."""
        return iwae_estimate(self.log_weights(x, k, generator, chunk, decode_batch))
