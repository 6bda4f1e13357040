"""Generative adversarial networks: a generator G and a discriminator D in a two-player game.

Taught in notebooks/05_gans.ipynb. References:
- I. Goodfellow et al. (2014). Generative Adversarial Nets. arXiv:1406.2661.
- A. Radford, L. Metz, S. Chintala (2016). Unsupervised Representation Learning with Deep
  Convolutional GANs (DCGAN). arXiv:1511.06434.
- M. Mirza, S. Osindero (2014). Conditional Generative Adversarial Nets. arXiv:1411.1784.
- T. Salimans et al. (2016). Improved Techniques for Training GANs. arXiv:1606.03498.
- L. Mescheder, A. Geiger, S. Nowozin (2018). Which Training Methods for GANs do actually
  Converge? arXiv:1801.04406 (the R1 gradient penalty).

The minimax game, with D(x) = sigmoid(logit(x)) the probability that x is real:

    min_G max_D  E_{x ~ p_data}[log D(x)] + E_{z ~ p(z)}[log(1 - D(G(z)))].

For a fixed G the best D is D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Goodfellow et al., Prop. 1).
Every loss below works on logits, which is numerically stable (log sigmoid never underflows).
Images are scaled to [-1, 1] for the GANs (tanh output), unlike the [0, 1] of the other notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from .checks import check_codes, check_count, check_labels


# ---------------------------------------------------------------------------------------------
# Losses on logits
# ---------------------------------------------------------------------------------------------

def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                       real_target: float = 1.0) -> torch.Tensor:
    """-[log D(x) + log(1 - D(G(z)))], averaged: D's side of the game as a loss to minimise.
    real_target < 1 is one-sided label smoothing (Salimans et al. 2016)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_target))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """log(1 - D(G(z))), averaged: the minimax objective as written. Its gradient vanishes when
    D confidently rejects the samples, i.e. at the start of training. log(1 - sigmoid(l)) = -softplus(l)."""
    return -F.softplus(fake_logits).mean()


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(G(z)), averaged: the heuristic of Goodfellow et al. (2014), same fixed point, strong
    gradients when the samples are bad. -log sigmoid(l) = softplus(-l)."""
    return F.softplus(-fake_logits).mean()


def r1_penalty(real_logits: torch.Tensor, x_real: torch.Tensor) -> torch.Tensor:
    """E ||grad_x logit(x)||^2 over real x (Mescheder et al. 2018, R1): how steeply D's verdict
    changes around the data. Penalising it (weight gamma / 2) keeps D from growing sharp walls
    around the training digits. x_real must have requires_grad set before D saw it."""
    (grad,) = torch.autograd.grad(real_logits.sum(), x_real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


def optimal_discriminator(p_data: torch.Tensor, p_model: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) from the two densities at the same points."""
    return p_data / (p_data + p_model)


# ---------------------------------------------------------------------------------------------
# One step of each player: the alternation is the algorithm (Goodfellow et al. 2014, Alg. 1)
# ---------------------------------------------------------------------------------------------

def _call(net: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """net(x), or net(x, labels) for the conditional model."""
    return net(x) if labels is None else net(x, labels)


def discriminator_step(G: nn.Module, D: nn.Module, optimizer: torch.optim.Optimizer,
                       x_real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor | None = None,
                       real_target: float = 1.0, r1_gamma: float = 0.0) -> float:
    """Update D to tell x_real from G(z); G is not updated (its output is detached).
    r1_gamma > 0 adds r1_gamma / 2 times the R1 gradient penalty on the real batch."""
    if r1_gamma < 0:
        raise ValueError(f"r1_gamma is a penalty weight, 0 (off) or positive; got {r1_gamma}")
    with torch.no_grad():
        x_fake = _call(G, z, labels)
    x_real = x_real.detach().requires_grad_(r1_gamma > 0)
    real_logits = _call(D, x_real, labels)
    loss = discriminator_loss(real_logits, _call(D, x_fake, labels), real_target)
    if r1_gamma > 0:
        loss = loss + r1_gamma / 2 * r1_penalty(real_logits, x_real)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


def generator_step(G: nn.Module, D: nn.Module, optimizer: torch.optim.Optimizer, z: torch.Tensor,
                   labels: torch.Tensor | None = None,
                   loss_fn: Callable[[torch.Tensor], torch.Tensor] = generator_loss_nonsaturating) -> float:
    """Update G to fool D; gradients flow through D into G, but only G's optimizer steps."""
    loss = loss_fn(_call(D, _call(G, z, labels), labels))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


# ---------------------------------------------------------------------------------------------
# Small MLPs for the 1-D and 2-D toys
# ---------------------------------------------------------------------------------------------

def mlp(in_dim: int, out_dim: int, hidden: int = 64, depth: int = 2,
        activation: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    """in_dim -> hidden -> ... -> out_dim with `depth` hidden layers."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(in_dim if i == 0 else hidden, hidden), activation()]
    return nn.Sequential(*layers, nn.Linear(hidden, out_dim))


class ToyGenerator(nn.Module):
    """z (B, Z) -> x (B, data_dim)."""

    def __init__(self, latent_dim: int = 2, data_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = mlp(latent_dim, data_dim, hidden)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class ToyDiscriminator(nn.Module):
    """x (B, data_dim) -> logit (B,)."""

    def __init__(self, data_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.net = mlp(data_dim, 1, hidden, activation=lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


class ConstantGenerator(nn.Module):
    """G(z) = theta whatever z is: the generator of the Dirac GAN (Mescheder et al. 2018), the
    smallest GAN there is. (B, Z) -> (B, 1)."""

    def __init__(self, theta: float = 1.0):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([theta]))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.theta.expand(len(z), 1)


# ---------------------------------------------------------------------------------------------
# DCGAN for 28x28 digits (Radford et al. 2016), optionally class-conditional (Mirza & Osindero)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DCGANConfig:
    """The defaults are the shipped dcgan.pt's; cgan.pt is the same with a label and half D's width
    (the label helps D, so it needs less)."""

    latent_dim: int = 64  # Z; paper: 100
    channels: int = 32  # C, G's width: 4C -> 2C -> 1; paper: 128 (64x64 images)
    num_classes: int = 0  # 0: unconditional; 10: label in, digit out
    d_channels: int = 64  # D's width: C_D -> 2 C_D -> 1


class DCGANGenerator(nn.Module):
    """z (B, Z) [+ one-hot label] -> image (B, 1, 28, 28) in [-1, 1]. DCGAN guidelines:
    fractionally-strided convolutions instead of pooling, batch norm in G (not on its output),
    ReLU inside and tanh at the output, no fully connected hidden layers."""

    def __init__(self, config: DCGANConfig = DCGANConfig()):
        super().__init__()
        self.config = config
        c, z_in = config.channels, config.latent_dim + config.num_classes
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_in, 4 * c, 7, 1, 0, bias=False), nn.BatchNorm2d(4 * c), nn.ReLU(),  # (B, 4C, 7, 7)
            nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.ReLU(),  # (B, 2C, 14, 14)
            nn.ConvTranspose2d(2 * c, 1, 4, 2, 1), nn.Tanh(),  # (B, 1, 28, 28), no batch norm at the output
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.config.num_classes:
            z = torch.cat([z, F.one_hot(labels, self.config.num_classes).to(z.dtype)], 1)  # (B, Z + K)
        return self.net(z[:, :, None, None])  # (B, Z[+K], 1, 1) -> (B, 1, 28, 28)


class DCGANDiscriminator(nn.Module):
    """image (B, 1, 28, 28) in [-1, 1] [+ label planes] -> logit (B,). DCGAN guidelines: strided
    convolutions instead of pooling, LeakyReLU(0.2), batch norm except on the input layer."""

    def __init__(self, config: DCGANConfig = DCGANConfig()):
        super().__init__()
        self.config = config
        c, c_in = config.d_channels, 1 + config.num_classes
        self.net = nn.Sequential(
            nn.Conv2d(c_in, c, 4, 2, 1), nn.LeakyReLU(0.2),  # (B, C, 14, 14): no batch norm on the input layer
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2),  # (B, 2C, 7, 7)
            nn.Conv2d(2 * c, 1, 7, 1, 0),  # (B, 1, 1, 1) logit
        )

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.config.num_classes:
            planes = F.one_hot(labels, self.config.num_classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, planes.expand(-1, -1, *x.shape[2:])], 1)  # (B, 1 + K, 28, 28)
        return self.net(x).flatten()  # (B,)


def init_dcgan_weights(module: nn.Module) -> None:
    """Radford et al.: all weights from N(0, 0.02); batch-norm scales from N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGAN(nn.Module):
    """The pair (G, D) as one module, so a checkpoint holds both; `sample` gives digits in [0, 1]."""

    def __init__(self, config: DCGANConfig = DCGANConfig()):
        super().__init__()
        self.config = config
        self.G = DCGANGenerator(config)
        self.D = DCGANDiscriminator(config)
        self.apply(init_dcgan_weights)

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.config.latent_dim, generator=generator).to(self.device)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None,
               labels: torch.Tensor | None = None, z: torch.Tensor | None = None) -> torch.Tensor:
        """n digits (n, 1, 28, 28) in [0, 1]; pass `z` to decode given noise, `labels` for the
        conditional model. Uses G in eval mode (batch-norm running statistics)."""
        n = check_count(n, "DCGAN.sample")
        check_labels(labels, n, self.config.num_classes, "DCGAN.sample", "GAN", required=True)
        if z is not None:
            check_codes(z, n, self.config.latent_dim, "DCGAN.sample")
        was_training = self.G.training
        self.G.eval()
        z = self.noise(n, generator) if z is None else z
        x = self.G(z) if labels is None else self.G(z, labels.to(z.device))
        self.G.train(was_training)
        return (x + 1) / 2


def linear_decay(step: int, total: int, decay_after: float) -> float:
    """Learning-rate factor at `step` of `total`: 1 for the first fraction `decay_after` of the
    steps, then falling linearly, to 1 / (number of decaying steps) at the last step."""
    if not 0 <= decay_after < 1:
        raise ValueError(f"decay_after must be a fraction in [0, 1), got {decay_after}")
    start = decay_after * total
    return min(1.0, (total - step) / (total - start))
