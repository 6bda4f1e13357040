"""Assignment 07: a 2-D flow written here another way than the check's reference (masks instead of
splitting, torch.distributions for the base density) passes and leaves the global stream alone;
tests/test_exercises.py feeds each usual mistake through the check."""

import torch
from torch import nn
from torch.distributions import Independent, Normal

from lecturelib.exercises import flow_model as assignment
from lecturelib.models.toy_flow import CouplingMLP


class MaskedFlow(nn.Module):
    def __init__(self):
        super().__init__()
        self.nets = nn.ModuleList(CouplingMLP() for _ in range(8))
        self.base = Independent(Normal(torch.zeros(2), torch.ones(2)), 1)

    def masks(self):
        for i in range(len(self.nets)):
            yield torch.tensor([1.0, 0.0]) if i % 2 == 0 else torch.tensor([0.0, 1.0])

    def forward(self, x):
        log_det = x.new_zeros(len(x))
        for mask, net in zip(self.masks(), self.nets):
            kept = (x * mask).sum(1, keepdim=True)
            s, t = net(kept)
            x = mask * x + (1 - mask) * (x * s.exp() + t)
            log_det = log_det + s.squeeze(1)
        return x, log_det

    def inverse(self, z):
        for mask, net in reversed(list(zip(self.masks(), self.nets))):
            s, t = net((z * mask).sum(1, keepdim=True))
            z = mask * z + (1 - mask) * (z - t) / s.exp()
        return z

    def log_prob(self, x):
        z, log_det = self(x)
        return self.base.log_prob(z) + log_det

    def sample(self, n, generator):
        with torch.no_grad():
            return self.inverse(torch.randn(n, 2, generator=generator))


def test_a_flow_written_independently_passes_and_leaves_the_global_stream_alone():
    before = torch.random.get_rng_state()
    verdict = assignment.flow_model.verdict(MaskedFlow)
    assert verdict.passed, verdict.message
    assert "held-out NLL" in verdict.message and "on a moon" in verdict.message
    assert torch.equal(torch.random.get_rng_state(), before)


def test_the_flow_check_refuses_what_is_not_a_model_with_a_clear_message():
    verdict = assignment.flow_model.verdict(lambda: "a model")
    assert verdict.status == "wrong" and "nn.Module subclass" in verdict.message


def test_the_moons_distance_is_zero_on_the_arcs_and_grows_off_them():
    on = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -0.5], [2.0, 0.5]])
    assert assignment.moon_distance(on).max() < 0.01
    assert assignment.moon_distance(torch.tensor([[0.0, -0.5]])).item() > 0.4  # 1.41 from the lower moon's centre
