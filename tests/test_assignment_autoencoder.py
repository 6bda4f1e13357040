"""Assignment 02: a convolutional autoencoder written here independently of the check's reference,
from lecturelib's own encoder, decoder and loss, passes; what is not a model is refused clearly.
(tests/test_exercises.py feeds the check its reference and each usual mistake.)"""

import torch
from torch import nn

from lecturelib.exercises import autoencoder_model as assignment
from lecturelib.models.autoencoder import ConvDecoder, ConvEncoder, reconstruction_loss


class LibraryAutoencoder(nn.Module):
    """Notebook 02's convolutional autoencoder, built from the library's parts."""

    def __init__(self, latent_dim):
        super().__init__()
        self.encoder, self.decoder = ConvEncoder(latent_dim, channels=16), ConvDecoder(latent_dim, channels=16)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def loss(self, x):
        return reconstruction_loss(self.decode(self.encode(x)), x)


def test_an_autoencoder_written_independently_passes_and_leaves_the_global_stream_alone():
    before = torch.random.get_rng_state()
    verdict = assignment.autoencoder_model.verdict(LibraryAutoencoder)
    assert verdict.passed, verdict.message
    assert "against PCA's" in verdict.message  # what it measured, put to work
    assert torch.equal(torch.random.get_rng_state(), before)


def test_the_autoencoder_check_refuses_what_is_not_a_model_with_a_clear_message():
    verdict = assignment.autoencoder_model.verdict(lambda latent_dim: "a model")
    assert verdict.status == "wrong" and "nn.Module subclass" in verdict.message
    verdict = assignment.autoencoder_model.verdict(lambda d: nn.Linear(d, d))  # a module, not an autoencoder
    assert verdict.status == "wrong" and "no method `encode`" in verdict.message
