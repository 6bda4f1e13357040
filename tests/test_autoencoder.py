"""Autoencoder blocks: shapes, losses against hand computations, and the linear AE <-> PCA link."""

import pytest
import torch
from torch.nn import functional as F

from lecturelib.density import PCA
from lecturelib.models.autoencoder import (ConvAutoencoder, ConvAutoencoderConfig, ConvDecoder,
                                           ConvEncoder, LinearAutoencoder,
                                           LinearAutoencoderConfig, reconstruction_loss,
                                           squared_error)
from lecturelib.train import fit
from lecturelib.data import TensorLoader


@pytest.mark.parametrize("latent_dim", [2, 8, 32])
def test_conv_blocks_shapes(latent_dim):
    x = torch.zeros(5, 1, 28, 28)
    assert ConvEncoder(latent_dim)(x).shape == (5, latent_dim)
    assert ConvDecoder(latent_dim)(torch.zeros(5, latent_dim)).shape == (5, 1, 28, 28)
    model = ConvAutoencoder(ConvAutoencoderConfig(latent_dim=latent_dim))
    x_hat = model(x)
    assert x_hat.shape == x.shape
    assert model.encode(x).shape == (5, latent_dim) and model.decode(torch.zeros(3, latent_dim)).shape == (3, 1, 28, 28)


def test_linear_autoencoder_shapes():
    model = LinearAutoencoder(LinearAutoencoderConfig(input_dim=784, latent_dim=4))
    x = torch.zeros(3, 1, 28, 28)
    assert model(x).shape == x.shape and model.subspace().shape == (4, 784)


def test_losses_by_hand():
    x = torch.tensor([[0.0, 1.0], [1.0, 0.5]])
    x_hat = torch.tensor([[0.5, 1.0], [0.0, 0.5]])
    assert squared_error(x_hat, x).item() == pytest.approx((0.25 + 1.0) / 2)
    logits = torch.tensor([[0.0, 2.0], [-1.0, 0.0]])
    by_hand = -(x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).sum(1).mean()
    assert reconstruction_loss(logits, x).item() == pytest.approx(by_hand.item())


def test_linear_autoencoder_spans_the_pca_subspace():
    """Baldi & Hornik (1989), on data with a clear 3-dimensional principal subspace."""
    g = torch.Generator().manual_seed(0)
    basis, _ = torch.linalg.qr(torch.randn(12, 12, generator=g))
    scales = torch.tensor([3.0, 2.0, 1.5] + [0.1] * 9)
    x = (torch.randn(2000, 12, generator=g) * scales) @ basis.T + 0.5
    torch.manual_seed(0)
    model = LinearAutoencoder(LinearAutoencoderConfig(input_dim=12, latent_dim=3))
    fit(model, TensorLoader(x, batch_size=200, shuffle=True, generator=g), num_epochs=60, lr=1e-2,
        progress=False)
    ours = model.subspace()
    pca = PCA.fit(x, 3).components.double()
    distance = torch.linalg.matrix_norm(ours.T @ ours - pca.T @ pca).item()  # 0 = same subspace
    assert distance < 0.05, distance


def test_conv_autoencoder_learns_on_a_batch():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 28, 28).round()
    model = ConvAutoencoder(ConvAutoencoderConfig(latent_dim=8, channels=8))
    history = fit(model, TensorLoader(x, batch_size=16), num_epochs=40, lr=3e-3, progress=False)
    assert history.steps["loss"][-1] < 0.9 * history.steps["loss"][0]
