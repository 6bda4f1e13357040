"""Diffusion: the schedule, the closed form against the step-by-step chain, the loss as documented,
seeded samplers, guidance, clear refusals, and a tiny model that learns a 2-D toy."""

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from lecturelib.data import sample_blobs
from lecturelib.metrics import path_straightness
from lecturelib.train import train_toy
from lecturelib.models.diffusion import (DiffusionConfig, DiffusionModel, Schedule, ToyNet, cosine_schedule,
                                         ddim_path, ddim_step, ddim_times, ddpm_step, denoising_loss,
                                         dpm_solver_path, elbo_weights, euler_path, flow_matching_loss,
                                         forward_chain, logsnr_times, q_sample)


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


def test_elbo_weights_are_u_shaped_with_the_last_set_by_the_clip():
    schedule = Schedule(cosine_schedule(1000))
    w = elbo_weights(schedule)  # t = 2 .. T
    assert w.shape == (999,) and (w > 0).all()
    assert w[0] > 100 * w[498], "the ELBO weighs the nearly clean steps far more than the middle ones"
    beta_T = schedule.betas[-1]
    assert math.isclose(w[-1].item(), 1 / (2 * (1 - beta_T.item())), rel_tol=1e-2), "w_T ~ 1 / (2 (1 - clip))"


@pytest.mark.parametrize("sampler_variance", [True, False])
def test_each_elbo_term_is_the_weighted_noise_error_plus_a_constant(sampler_variance):
    """KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) by torch.distributions, with the posterior written
    out by Bayes' rule here, equals w_t ||eps - eps_theta||^2 + C_t for two different eps_theta."""
    schedule, g = Schedule(cosine_schedule(100)), torch.Generator().manual_seed(0)
    b, a, abar = (v.double() for v in (schedule.betas, schedule.alphas, schedule.abar))
    x0, noise = torch.rand(5, generator=g).double() * 2 - 1, torch.randn(5, generator=g).double()
    for t in (2, 10, 60):
        x_t = abar[t].sqrt() * x0 + (1 - abar[t]).sqrt() * noise
        # q(x_{t-1} | x_t, x_0) ∝ q(x_t | x_{t-1}) q(x_{t-1} | x_0): a product of two Gaussians in x_{t-1}
        precision = a[t] / b[t] + 1 / (1 - abar[t - 1])
        mean_q = (a[t].sqrt() * x_t / b[t] + abar[t - 1].sqrt() * x0 / (1 - abar[t - 1])) / precision
        variance = 1 / precision if sampler_variance else b[t]  # the decoder's sigma_t^2
        w = elbo_weights(schedule, None if sampler_variance else schedule.betas)[t - 2].double()
        terms = []
        for eps in (torch.randn(5, generator=g).double(), noise + 0.1):
            mean_p = (x_t - b[t] / (1 - abar[t]).sqrt() * eps) / a[t].sqrt()
            kl = kl_divergence(Normal(mean_q, (1 / precision).sqrt()), Normal(mean_p, variance.sqrt())).sum()
            terms.append(kl - w * (noise - eps).pow(2).sum())
        torch.testing.assert_close(terms[0], terms[1], rtol=0, atol=1e-4)  # the same constant C_t
        if sampler_variance:
            torch.testing.assert_close(terms[0], torch.zeros((), dtype=torch.float64), rtol=0, atol=1e-4)
        else:
            assert terms[0] > 0, "with sigma_t^2 = beta_t > beta~_t the constant is positive"


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


def _blob_shares(samples: torch.Tensor) -> tuple[float, float]:
    """Share of points on a blob (within 0.6 of its centre), and on the likelier (right) one."""
    right = (samples - torch.tensor([[2.0, 0.0]])).norm(dim=1) < 0.6
    left = (samples + torch.tensor([[2.0, 0.0]])).norm(dim=1) < 0.6
    return (right | left).float().mean().item(), right.float().mean().item()


def test_a_tiny_model_learns_a_two_dimensional_toy():
    """Two blobs at (-2, 0) and (2, 0), one twice as likely: 600 training steps of an MLP noise
    predictor, then both samplers put their points near the blobs; DDPM in about the right shares.
    DDIM does not keep the shares after so short a training (measured over seeds 0-5: 37-81 % on
    the likelier blob, against 56-69 % for DDPM): from x_T its first x_0 estimate divides the
    network's error by sqrt(abar_T) = 5e-4, and is mostly the clipping."""
    schedule = Schedule(cosine_schedule(100))
    net = train_toy(lambda net, x0: denoising_loss(net, schedule, x0), ToyNet, sample_blobs, steps=600)
    with torch.no_grad():
        x = torch.randn(2000, 2)
        ancestral = x.clone()
        for t in range(100, 0, -1):
            eps = net(ancestral, torch.full((2000,), t))
            ancestral = ddpm_step(schedule, ancestral, t, eps, torch.randn(2000, 2) if t > 1 else None)
        # abar_T is 2e-7: the first x_0 estimate divides the noise error by sqrt(abar_T),
        # so DDIM clips x_0 to the data's range, as DiffusionModel does for images (clip=1)
        path = ddim_path(net, schedule, x, 20, clip=3.0)
    assert len(path) == 21 and torch.equal(path[0], x)
    on_blobs, likelier = _blob_shares(ancestral)
    assert on_blobs > 0.9 and 0.55 < likelier < 0.78, "on the blobs, about two thirds on the likelier"
    assert _blob_shares(path[-1])[0] > 0.8, "DDIM lands the points on the blobs too"


def test_flow_matching_loss_is_the_documented_one():
    """x_t = (1 - t) x_0 + t x_1 with x_0 = noise and t ~ U(0, 1); target x_1 - x_0; mean squared error."""
    seen = {}

    def velocity(x_t, t):
        seen["x_t"], seen["t"] = x_t, t
        return torch.zeros_like(x_t)

    x1 = torch.randn(5, 1, 3, 3)
    torch.manual_seed(3)
    loss = flow_matching_loss(velocity, x1)
    torch.manual_seed(3)
    x0, t = torch.randn_like(x1), torch.rand(5)
    assert torch.allclose(seen["t"], t)
    assert torch.allclose(seen["x_t"], (1 - t.view(-1, 1, 1, 1)) * x0 + t.view(-1, 1, 1, 1) * x1)
    assert torch.allclose(loss, (x1 - x0).pow(2).mean())


def test_euler_path_integrates_a_known_velocity_exactly_when_it_is_constant():
    start = torch.zeros(4, 2)
    path = euler_path(lambda x, t: torch.ones_like(x) * 3.0, start, 6)
    assert len(path) == 7 and torch.allclose(path[-1], torch.full((4, 2), 3.0))
    straight = euler_path(lambda x, t: torch.ones_like(x), start, 4)
    assert path_straightness(torch.stack(straight)).allclose(torch.ones(4))


def test_a_tiny_model_learns_the_toy_by_flow_matching():
    """The same blobs, the same network and steps, trained by flow matching: Euler in 20 steps
    lands the points on the blobs in about the right shares, along nearly straight paths."""
    net = train_toy(flow_matching_loss, lambda: ToyNet(time_scale=1000.0), sample_blobs,
                    steps=600)
    with torch.no_grad():
        path = torch.stack(euler_path(net, torch.randn(2000, 2), 20))
    on_blobs, likelier = _blob_shares(path[-1])
    assert on_blobs > 0.9 and 0.55 < likelier < 0.78, "on the blobs, about two thirds on the likelier"
    assert path_straightness(path).median() < 1.2


def _gaussian_data(schedule, mean=0.3, std=0.5):
    """Data x_0 ~ N(mean, std^2) in every coordinate: the exact noise predictor, and where the
    probability-flow ODE takes x_T (the standardised x_t stays constant along it)."""
    def predict(x, t):
        a, s2 = schedule.abar[t[0]].sqrt(), 1 - schedule.abar[t[0]]
        return s2.sqrt() * (x - a * mean) / (a ** 2 * std ** 2 + s2)

    def endpoint(x_T):
        a, s2 = schedule.abar[-1].sqrt(), 1 - schedule.abar[-1]
        return mean + std * (x_T - a * mean) / (a ** 2 * std ** 2 + s2).sqrt()
    return predict, endpoint


def test_dpm_solver_lands_closer_in_10_steps_than_ddim_in_40():
    """On data with a known answer (where the ODE takes each x_T): DDIM's error halves as its
    steps double (first order); DPM-Solver++(2M) on the same steps is several times closer, and
    in 10 steps closer than DDIM in 40. Its first step is DDIM's."""
    schedule = Schedule(cosine_schedule(1000))
    predict, endpoint = _gaussian_data(schedule)
    x = torch.randn(4096, 1, generator=torch.Generator().manual_seed(0))
    exact = endpoint(x)

    def error(path):
        return (path[-1] - exact).abs().mean().item()

    ddim, dpm = {}, {}
    for steps in (10, 20, 40):
        times = logsnr_times(schedule, steps)
        solver = dpm_solver_path(predict, schedule, x, times)
        path = [x]
        for t, previous in zip(times[:-1], times[1:]):
            path.append(ddim_step(schedule, path[-1], t, previous, predict(path[-1], torch.full((1,), t))))
        dpm[steps], ddim[steps] = error(solver), error(path)
        torch.testing.assert_close(solver[1], path[1], msg="the first step is DDIM's")
    assert all(dpm[k] < ddim[k] / 3 for k in dpm), (dpm, ddim)
    assert 1.6 < ddim[10] / ddim[20] < 2.5 and 1.6 < ddim[20] / ddim[40] < 2.5, ddim
    assert dpm[10] < ddim[40], (dpm, ddim)


def test_logsnr_times_are_distinct_and_end_at_zero():
    schedule = Schedule(cosine_schedule(1000))
    for steps in (1, 2, 5, 25, 1000):
        times = logsnr_times(schedule, steps)
        assert len(times) == steps + 1 and times[0] == 1000 and times[-1] == 0
        assert all(a > b for a, b in zip(times, times[1:])), times
    lam = lambda t: 0.5 * torch.log(schedule.abar[t] / (1 - schedule.abar[t]))  # noqa: E731
    middle = logsnr_times(schedule, 25)[12:20]  # away from the crowded ends: even in lambda
    gaps = torch.tensor([lam(b) - lam(a) for a, b in zip(middle, middle[1:])])
    assert gaps.max() < 1.1 * gaps.min(), gaps
    with pytest.raises(ValueError, match="steps must be in 1..1000"):
        logsnr_times(schedule, 0)


def test_dpm_sampler_is_seeded_and_refuses_bad_steps():
    torch.manual_seed(0)
    model = DiffusionModel(DiffusionConfig(channels=8, num_steps=20)).eval()
    one = model.sample(2, steps=5, method="dpm", generator=torch.Generator().manual_seed(1))
    two = model.sample(2, steps=5, method="dpm", generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(one, two)
    assert one.shape == (2, 1, 28, 28) and 0 <= one.min() and one.max() <= 1
    with pytest.raises(ValueError, match="steps must be in 1..20"):
        model.sample(2, steps=21, method="dpm")
    with pytest.raises(ValueError, match="'ddim', 'dpm' or 'ddpm'"):
        model.sample(2, method="euler")
