"""Autoencoders: an encoder squeezes x through a bottleneck z, a decoder rebuilds x from z.

Taught in notebooks/02_autoencoders.ipynb. References:
- P. Baldi, K. Hornik (1989). Neural networks and principal component analysis: learning from
  examples without local minima. Neural Networks 2(1). (A linear autoencoder trained with squared
  error spans the principal subspace.)
- G. E. Hinton, R. R. Salakhutdinov (2006). Reducing the dimensionality of data with neural
  networks. Science 313(5786).
- I. Goodfellow, Y. Bengio, A. Courville (2016). Deep Learning, ch. 14.

No labels are used: the objective is reconstruction,

    L(x) = recon(decoder(encoder(x)), x),

squared error for the linear model (to match PCA), Bernoulli cross-entropy on grey levels for the
convolutional one (sharper digits than squared error).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .checks import UNIT, check_codes, check_finite, check_images

IMAGE_SHAPE = (1, 28, 28)  # (C, H, W) of a digit
NUM_PIXELS = 28 * 28


# ---------------------------------------------------------------------------------------------
# Losses: pure functions, summed over the pixels of a digit, averaged over the batch
# ---------------------------------------------------------------------------------------------

def squared_error(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sum_i (x_hat_i - x_i)^2 per digit, averaged over the batch."""
    return (x_hat - x).pow(2).flatten(1).sum(1).mean()


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-sum_i [x_i log sigmoid(l_i) + (1 - x_i) log(1 - sigmoid(l_i))] per digit, batch mean.
    Works for grey levels x_i in [0, 1] as well as for binary pixels."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1).mean()


# ---------------------------------------------------------------------------------------------
# Linear autoencoder
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinearAutoencoderConfig:
    input_dim: int = NUM_PIXELS  # D
    latent_dim: int = 8  # k, the bottleneck


class LinearAutoencoder(nn.Module):
    """z = W_e (x - b) , x_hat = W_d z + b: no nonlinearity. Its optimum under squared error spans
    the same k-dimensional subspace as PCA (Baldi & Hornik 1989), though W_d need not be orthonormal."""

    def __init__(self, config: LinearAutoencoderConfig = LinearAutoencoderConfig()):
        super().__init__()
        self.config = config
        self.encoder = nn.Linear(config.input_dim, config.latent_dim)  # (B, D) -> (B, k)
        self.decoder = nn.Linear(config.latent_dim, config.input_dim)  # (B, k) -> (B, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_vectors(x, self.config.input_dim, "LinearAutoencoder")
        return self.decoder(self.encoder(x.flatten(1))).view_as(x)  # x_hat, same shape as x

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return squared_error(self(x), x)

    def subspace(self) -> torch.Tensor:
        """An orthonormal basis (k, D) of the span of the decoder's columns."""
        q, _ = torch.linalg.qr(self.decoder.weight.detach().double())  # (D, k)
        return q.T


def _check_vectors(x: torch.Tensor, input_dim: int, where: str) -> None:
    """The linear model takes any (B, ...) float32 batch of input_dim numbers per example."""
    if not isinstance(x, torch.Tensor) or x.dim() < 2 or x[0].numel() != input_dim or not len(x):
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{where} expects a non-empty batch of {input_dim} numbers per example, "
                         f"(B, {input_dim}) or (B, 1, 28, 28), got {got}")
    if x.dtype != torch.float32:
        raise TypeError(f"{where} expects float32 numbers, got {x.dtype}: convert with x.float()")
    check_finite(x, where)


# ---------------------------------------------------------------------------------------------
# Convolutional autoencoder
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConvAutoencoderConfig:
    latent_dim: int = 32  # D, the bottleneck
    channels: int = 32  # C of the first conv layer; the second has 2C


class ConvEncoder(nn.Module):
    """(B, 1, 28, 28) -> (B, D): two stride-2 convolutions, then a linear map to the code."""

    def __init__(self, latent_dim: int, channels: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 4, stride=2, padding=1), nn.ReLU(),  # (B, C, 14, 14)
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), nn.ReLU(),  # (B, 2C, 7, 7)
            nn.Flatten(),  # (B, 2C*7*7)
        )
        self.to_code = nn.Linear(2 * channels * 7 * 7, latent_dim)  # (B, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_code(self.features(x))


class ConvDecoder(nn.Module):
    """(B, D) -> (B, 1, 28, 28) logits: the encoder mirrored with transposed convolutions."""

    def __init__(self, latent_dim: int, channels: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 2 * channels * 7 * 7), nn.ReLU(),  # (B, 2C*7*7)
            nn.Unflatten(1, (2 * channels, 7, 7)),  # (B, 2C, 7, 7)
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1), nn.ReLU(),  # (B, C, 14, 14)
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1),  # (B, 1, 28, 28) logits
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class LatentModel(nn.Module):
    """What the convolutional autoencoder and the VAE share: a `decoder` from codes z (B, D) to
    logits (B, 1, 28, 28), D = `config.latent_dim`, and `decode`, its pixels in [0, 1]."""

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """sigmoid(decoder(z)) for codes z (B, D): (B, 1, 28, 28) in [0, 1], the autoencoder's
        images, the VAE's Bernoulli means (pixel probabilities)."""
        check_codes(z, None, self.config.latent_dim, f"{type(self).__name__}.decode")
        return torch.sigmoid(self.decoder(z))


class ConvAutoencoder(LatentModel):
    """encoder: x -> z (B, D); decoder: z -> logits (B, 1, 28, 28); x_hat = sigmoid(logits)."""

    def __init__(self, config: ConvAutoencoderConfig = ConvAutoencoderConfig()):
        super().__init__()
        self.config = config
        self.encoder = ConvEncoder(config.latent_dim, config.channels)
        self.decoder = ConvDecoder(config.latent_dim, config.channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction x_hat in [0, 1], same shape as x."""
        check_images(x, "ConvAutoencoder", UNIT)
        return torch.sigmoid(self.decoder(self.encoder(x)))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, "ConvAutoencoder.loss", UNIT)
        return reconstruction_loss(self.decoder(self.encoder(x)), x)

    @torch.no_grad()
    def encode(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Codes (N, D) for images (N, 1, 28, 28), in batches, in eval mode."""
        check_images(x, "ConvAutoencoder.encode", UNIT)
        was_training = self.training
        self.eval()
        codes = torch.cat([self.encoder(part) for part in x.split(batch_size)])
        self.train(was_training)
        return codes
