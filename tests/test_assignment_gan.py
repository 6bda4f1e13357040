"""Assignment 05 (a DCGAN of your own): a correct GAN written here independently of the check's
reference, from lecturelib's library steps, passes; the stub of the notebook is "not answered";
anything but an nn.Module class is refused with a clear message. tests/test_exercises.py feeds the
reference and every usual mistake through the check."""

import torch
from torch import nn

from lecturelib.exercises import gan_model as assignment
from lecturelib.models.gan import discriminator_step, generator_step, init_dcgan_weights


class LibraryGAN(nn.Module):
    """Notebook 05's DCGAN recipe at 14 x 14, with the library's own steps (cross-entropy on logits)
    and Radford et al.'s initialisation; G upsamples by interpolation, D returns logits (B, 1)."""

    def __init__(self):
        super().__init__()
        self.G = nn.Sequential(
            nn.ConvTranspose2d(assignment.LATENT_DIM, 48, 7), nn.BatchNorm2d(48), nn.ReLU(),  # (B, 48, 7, 7)
            nn.Upsample(scale_factor=2), nn.Conv2d(48, 1, 3, padding=1), nn.Tanh())  # (B, 1, 14, 14)
        self.D = nn.Sequential(
            nn.Conv2d(1, 32, 3, 2, 1), nn.LeakyReLU(0.2),  # (B, 32, 7, 7)
            nn.Conv2d(32, 64, 3, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),  # (B, 64, 4, 4)
            nn.Flatten(), nn.Linear(64 * 4 * 4, 1))  # (B, 1)
        self.apply(init_dcgan_weights)

    def discriminator_step(self, optimizer, x_real, z):
        return discriminator_step(self.G, self.D, optimizer, x_real, z)

    def generator_step(self, optimizer, z):
        return generator_step(self.G, self.D, optimizer, z)


class Stub(nn.Module):
    """The notebook's stub, unanswered."""

    def __init__(self):
        super().__init__()
        self.G = ...
        self.D = ...

    def discriminator_step(self, optimizer, x_real, z):
        ...

    def generator_step(self, optimizer, z):
        ...


def test_a_gan_written_independently_passes_and_leaves_global_state_alone():
    before, threads = torch.random.get_rng_state(), torch.get_num_threads()
    verdict = assignment.gan_model.verdict(LibraryGAN)
    assert verdict.passed, verdict.message
    assert "floors from the test digits" in verdict.message  # what it measured, put to work
    assert torch.equal(torch.random.get_rng_state(), before) and torch.get_num_threads() == threads


def test_the_stub_is_not_answered_and_a_wrong_type_is_refused_with_a_clear_message():
    assert assignment.gan_model.verdict(Stub).status == "unanswered"
    verdict = assignment.gan_model.verdict(lambda: "a model")
    assert verdict.status == "wrong" and "nn.Module subclass" in verdict.message
