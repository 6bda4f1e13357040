"""The assignments, in which a student writes and trains a whole model: each check passes a correct
model written here independently of the check's own reference (from lecturelib's library code),
and names the usual mistakes (tests/test_exercises.py feeds those through every check)."""

import torch
from torch import nn

from lecturelib.exercises import diffusion_model as assignment
from lecturelib.models.diffusion import ToyNet, ddim_path, denoising_loss


class LibraryDiffusion(nn.Module):
    """Notebook 06's model built from the library's own loss and DDIM sampler."""

    def __init__(self, schedule):
        super().__init__()
        self.schedule, self.net = schedule, ToyNet()

    def loss(self, x0):
        return denoising_loss(self.net, self.schedule, x0)

    def sample(self, n, steps, generator):
        return ddim_path(self.net, self.schedule, torch.randn(n, 2, generator=generator), steps, clip=3.0)[-1]


def test_a_diffusion_model_written_independently_passes_and_leaves_the_global_stream_alone():
    before = torch.random.get_rng_state()
    verdict = assignment.diffusion_model.verdict(LibraryDiffusion)
    assert verdict.passed, verdict.message
    assert "points on the ring" in verdict.message  # what it measured, put to work
    assert torch.equal(torch.random.get_rng_state(), before)


def test_the_diffusion_check_refuses_what_is_not_a_model_with_a_clear_message():
    verdict = assignment.diffusion_model.verdict(lambda schedule: "a model")
    assert verdict.status == "wrong" and "nn.Module subclass" in verdict.message
