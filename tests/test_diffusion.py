"""Diffusion: the schedule, the closed form against the step-by-step chain, the loss as documented,
seeded samplers, guidance, clear refusals, and a tiny model that learns a 2-D toy."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from lecturelib.models.diffusion import (DiffusionConfig, DiffusionModel, Schedule, cosine_schedule,
                                         ddim_step, ddim_times, ddpm_step, denoising_loss,
                                         elbo_weights, forward_chain, q_sample, timestep_embedding)


def test_cosine_schedule_fades_the_signal_from_one_to_zero():
    schedule = Schedule(cosine_schedule(1000))
    assert schedule.num_steps == 1000 and schedule.abar[0] == 1
    assert (schedule.abar.diff() < 0).all(), "abar falls at every step"
    assert 0.99 < schedule.abar[1] and schedule.abar[-1] < 1e-4
    assert 0.4 < schedule.abar[500] < 0.6, "half the signal (in variance) at half the steps"
    assert ((schedule.betas[1:] > 0) & (schedule.betas[1:] <= 0.999)).all()


def test_closed_form_matches_the_step_by_step_chain():
    """q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I): the chain's mean and variance, over
    20,000 runs, agree with the formula within their Monte Carlo error."""
    schedule = Schedule(cosine_schedule(50))
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([[-1.0, 0.3, 0.9]]).expand(20000, 3)
    for t in (1, 10, 30, 50):
        chain = forward_chain(schedule, x0, [torch.randn(x0.shape, generator=g) for _ in range(t)])
        closed = q_sample(schedule, x0, torch.full((20000,), t), torch.randn(x0.shape, generator=g))
        abar = schedule.abar[t]
        for x in (chain, closed):
            torch.testing.assert_close(x.mean(0), abar.sqrt() * x0[0], atol=4 * (1 / 20000) ** 0.5, rtol=0)
            torch.testing.assert_close(x.var(0), (1 - abar).expand(3), atol=0.03, rtol=0)


def test_elbo_weights_are_largest_at_the_first_steps():
    w = elbo_weights(Schedule(cosine_schedule(1000)))
    assert w.shape == (1000,) and (w > 0).all()
    assert w[0] > 100 * w[500], "the ELBO weighs the nearly clean steps far more than the simple loss"


def test_the_loss_is_the_documented_mean_squared_noise_error():
    torch.manual_seed(0)
    model = DiffusionModel(DiffusionConfig(channels=8, num_steps=20, dropout=0.0))
    x = torch.rand(4, 1, 28, 28)
    torch.manual_seed(1)
    loss = model.loss(x)
    torch.manual_seed(1)  # the same draws, by hand: t, then the noise
    t = torch.randint(1, 21, (4,))
    noise = torch.randn(4, 1, 28, 28)
    x_t = model.schedule.abar[t].sqrt().view(-1, 1, 1, 1) * (2 * x - 1) + \
        (1 - model.schedule.abar[t]).sqrt().view(-1, 1, 1, 1) * noise
    torch.testing.assert_close(loss, ((model.net(x_t, t) - noise) ** 2).mean())


def test_clipping_x0_changes_the_ddpm_step_only_where_x0_leaves_the_range():
    schedule = Schedule(cosine_schedule(50))
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(4, 1, 28, 28, generator=g) * 1.8 - 0.9  # inside [-1, 1]
    eps = torch.randn(x0.shape, generator=g)
    for t in (1, 7, 30, 50):
        x_t = q_sample(schedule, x0, torch.full((4,), t), eps)
        torch.testing.assert_close(ddpm_step(schedule, x_t, t, eps, None, clip=1.0),
                                   ddpm_step(schedule, x_t, t, eps, None), atol=2e-4, rtol=1e-4)
    wild = ddpm_step(schedule, torch.full((1, 1, 2, 2), 3.0), 50, torch.zeros(1, 1, 2, 2), None, clip=1.0)
    assert wild.abs().max() < ddpm_step(schedule, torch.full((1, 1, 2, 2), 3.0), 50, torch.zeros(1, 1, 2, 2), None).abs().max()


def test_samplers_are_seeded_and_shaped():
    torch.manual_seed(0)
    model = DiffusionModel(DiffusionConfig(channels=8, num_steps=20)).eval()
    for method, steps in (("ddim", 5), ("ddpm", None)):
        a = model.sample(3, steps=steps, method=method, generator=torch.Generator().manual_seed(1))
        b = model.sample(3, steps=steps, method=method, generator=torch.Generator().manual_seed(1))
        c = model.sample(3, steps=steps, method=method, generator=torch.Generator().manual_seed(2))
        assert a.shape == (3, 1, 28, 28) and torch.equal(a, b) and not torch.equal(a, c)


@torch.no_grad()
def test_the_samplers_are_the_algorithms_written_out():
    """sample() is notebook 06's loops: DDPM's Algorithm 2 over all T steps (x_0 clipped), and DDIM's
    deterministic steps (x_0's estimate clipped to [-1, 1]) on the evenly spaced times."""
    torch.manual_seed(0)
    model = DiffusionModel(DiffusionConfig(channels=8, num_steps=20)).eval()
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 1, 28, 28, generator=g)
    for t in range(20, 0, -1):
        eps = model.net(x, torch.full((2,), t))
        x = ddpm_step(model.schedule, x, t, eps, torch.randn(x.shape, generator=g) if t > 1 else None, clip=1.0)
    library = model.sample(2, method="ddpm", generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(((x + 1) / 2).clamp(0, 1), library)
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    abar = model.schedule.abar
    for t, previous in zip(ddim_times(20, 4)[:-1], ddim_times(20, 4)[1:]):
        eps = model.net(x, torch.full((2,), t))
        x0 = ((x - (1 - abar[t]).sqrt() * eps) / abar[t].sqrt()).clamp(-1, 1)
        x = abar[previous].sqrt() * x0 + (1 - abar[previous]).sqrt() * (x - abar[t].sqrt() * x0) / (1 - abar[t]).sqrt()
    library = model.sample(2, steps=4, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(((x + 1) / 2).clamp(0, 1), library)


def test_guidance_and_labels():
    torch.manual_seed(0)
    model = DiffusionModel(DiffusionConfig(channels=8, num_steps=20, num_classes=10)).eval()
    labels = torch.tensor([3, 7])
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([5, 5])
    torch.testing.assert_close(model.predict_noise(x, t, labels, guidance=0.0), model.net(x, t, labels))
    guided = model.predict_noise(x, t, labels, guidance=2.0)
    torch.testing.assert_close(guided, 3 * model.net(x, t, labels) - 2 * model.net(x, t, None))
    with pytest.raises(ValueError, match="guidance needs labels"):
        model.sample(2, steps=5, guidance=1.0)
    with pytest.raises(ValueError, match="unconditional"):
        DiffusionModel(DiffusionConfig(channels=8, num_steps=20)).sample(2, steps=5, labels=labels)
    with pytest.raises(ValueError, match="DDPM runs all"):
        model.sample(2, method="ddpm", steps=5)
    with pytest.raises(ValueError, match="steps must be in"):
        model.sample(2, steps=0)


def test_a_tiny_model_learns_a_two_dimensional_toy():
    """Two blobs at (-2, 0) and (2, 0), one twice as likely: 600 training steps of an MLP noise
    predictor, then both samplers put their points near the blobs, in about the right shares."""
    torch.manual_seed(0)
    schedule = Schedule(cosine_schedule(100))
    net = nn.Sequential(nn.Linear(2 + 16, 128), nn.SiLU(), nn.Linear(128, 128), nn.SiLU(), nn.Linear(128, 2))
    predict = lambda x, t: net(torch.cat([x, timestep_embedding(t, 16)], 1))  # noqa: E731

    def data(n):
        right = torch.rand(n) < 2 / 3
        return torch.stack([torch.where(right, 2.0, -2.0), torch.zeros(n)], 1) + 0.1 * torch.randn(n, 2)

    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(600):
        loss = denoising_loss(predict, schedule, data(256))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        x = torch.randn(2000, 2)
        ancestral = x.clone()
        for t in range(100, 0, -1):
            eps = predict(ancestral, torch.full((2000,), t))
            ancestral = ddpm_step(schedule, ancestral, t, eps, torch.randn(2000, 2) if t > 1 else None)
        deterministic = x.clone()
        times = ddim_times(100, 20)
        for t, previous in zip(times[:-1], times[1:]):
            # abar_T is 2e-7: the first x_0 estimate divides the noise error by sqrt(abar_T),
            # so DDIM clips x_0 to the data's range, as DiffusionModel does for images (clip=1)
            deterministic = ddim_step(schedule, deterministic, t, previous,
                                      predict(deterministic, torch.full((2000,), t)), clip=3.0)
    for samples in (ancestral, deterministic):
        near = (samples - torch.tensor([[2.0, 0.0]])).norm(dim=1) < 0.6
        near_left = (samples - torch.tensor([[-2.0, 0.0]])).norm(dim=1) < 0.6
        assert (near | near_left).float().mean() > 0.9, "points land on the blobs"
        assert 0.55 < near.float().mean() < 0.78, "about two thirds on the likelier blob"
