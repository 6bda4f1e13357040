"""GAN losses against hand computations, the optimal discriminator, shapes, and the Fréchet distance."""

import pytest
import torch
from torch.distributions import Normal

from lecturelib.metrics import ClassifierConfig, DigitClassifier, frechet_distance
from lecturelib.models.gan import (DCGAN, DCGANConfig, DCGANDiscriminator, DCGANGenerator,
                                   ToyDiscriminator, ToyGenerator, discriminator_loss,
                                   discriminator_step, generator_loss_nonsaturating,
                                   generator_loss_saturating, generator_step,
                                   linear_decay, optimal_discriminator, r1_penalty)
from lecturelib.recipes import train_gan_on_images
from lecturelib.train import History, Record, fit_gan


def test_losses_by_hand():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 0.5])
    sig = torch.sigmoid
    by_hand = -(torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean())
    assert discriminator_loss(real, fake).item() == pytest.approx(by_hand.item(), rel=1e-6)
    smoothed = -(0.9 * torch.log(sig(real)) + 0.1 * torch.log(1 - sig(real))).mean() - torch.log(1 - sig(fake)).mean()
    assert discriminator_loss(real, fake, real_target=0.9).item() == pytest.approx(smoothed.item(), rel=1e-6)
    assert generator_loss_saturating(fake).item() == pytest.approx(torch.log(1 - sig(fake)).mean().item(), rel=1e-6)
    assert generator_loss_nonsaturating(fake).item() == pytest.approx(-torch.log(sig(fake)).mean().item(), rel=1e-6)


def test_saturating_gradient_vanishes_where_nonsaturating_does_not():
    logits = torch.tensor([-8.0], requires_grad=True)  # D is sure the sample is fake
    generator_loss_saturating(logits).backward()
    saturating = logits.grad.abs().item()
    logits.grad = None
    generator_loss_nonsaturating(logits).backward()
    assert saturating < 1e-3 < logits.grad.abs().item()


def test_optimal_discriminator_on_two_gaussians():
    """Training D to convergence on samples of two known densities approaches D*."""
    torch.manual_seed(0)
    data, model = Normal(1.0, 0.5), Normal(-1.0, 0.8)
    D = ToyDiscriminator(data_dim=1, hidden=32)
    optimizer = torch.optim.Adam(D.parameters(), lr=3e-3)
    for _ in range(800):
        x_real, x_fake = data.sample((256, 1)), model.sample((256, 1))
        loss = discriminator_loss(D(x_real), D(x_fake))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    grid = torch.linspace(-1.5, 2.0, 50)[:, None]
    optimal = optimal_discriminator(data.log_prob(grid).exp(), model.log_prob(grid).exp()).squeeze(1)
    with torch.no_grad():
        learned = torch.sigmoid(D(grid))
    assert (learned - optimal).abs().max() < 0.1
    assert optimal_discriminator(torch.tensor(2.0), torch.tensor(2.0)).item() == 0.5


def test_steps_update_only_their_player():
    G, D = ToyGenerator(), ToyDiscriminator()
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    g_before = [p.clone() for p in G.parameters()]
    d_before = [p.clone() for p in D.parameters()]
    discriminator_step(G, D, opt_D, torch.randn(8, 2), torch.randn(8, 2))
    assert all(torch.equal(a, b) for a, b in zip(g_before, G.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(d_before, D.parameters()))
    d_after = [p.clone() for p in D.parameters()]
    generator_step(G, D, opt_G, torch.randn(8, 2))
    assert all(torch.equal(a, b) for a, b in zip(d_after, D.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(g_before, G.parameters()))


def test_r1_penalty_of_a_linear_discriminator_is_its_squared_weight():
    """logit(x) = w . x + b has gradient w at every x, so E ||grad||^2 = ||w||^2."""
    D = torch.nn.Linear(3, 1)
    x = torch.randn(5, 3, requires_grad=True)
    penalty = r1_penalty(D(x).squeeze(1), x)
    assert penalty.item() == pytest.approx(D.weight.pow(2).sum().item(), rel=1e-6)
    penalty.backward()  # differentiable in D's weights: d||w||^2/dw = 2w
    assert torch.allclose(D.weight.grad, 2 * D.weight)


def test_r1_gamma_adds_to_the_discriminator_loss_and_changes_its_update():
    def step(r1_gamma):
        torch.manual_seed(0)
        G, D = ToyGenerator(), ToyDiscriminator()
        loss = discriminator_step(G, D, torch.optim.SGD(D.parameters(), lr=0.1), torch.randn(8, 2),
                                  torch.randn(8, 2), r1_gamma=r1_gamma)
        return loss, torch.cat([p.detach().flatten() for p in D.parameters()])

    (plain, d_plain), (penalised, d_penalised) = step(0.0), step(10.0)
    assert penalised > plain  # the penalty is added to D's loss
    assert not torch.equal(d_plain, d_penalised)
    with pytest.raises(ValueError, match="r1_gamma"):
        step(-1.0)


@pytest.mark.parametrize("num_classes", [0, 10])
def test_dcgan_shapes(num_classes):
    config = DCGANConfig(num_classes=num_classes)
    labels = torch.arange(5) if num_classes else None
    x = DCGANGenerator(config)(torch.zeros(5, config.latent_dim), labels)
    assert x.shape == (5, 1, 28, 28)
    assert DCGANDiscriminator(config)(x, labels).shape == (5,)
    samples = DCGAN(config).sample(5, generator=torch.Generator().manual_seed(0), labels=labels)
    assert samples.shape == (5, 1, 28, 28)


def test_a_conditional_gan_asks_for_labels_and_an_unconditional_one_refuses_them():
    conditional, plain = DCGAN(DCGANConfig(num_classes=10)), DCGAN(DCGANConfig())
    with pytest.raises(ValueError, match="labels=torch.arange"):
        conditional.sample(4)
    with pytest.raises(ValueError, match="4 of them"):
        conditional.sample(4, labels=torch.arange(3))
    with pytest.raises(ValueError, match="unconditional"):
        plain.sample(4, labels=torch.arange(4))
    first = conditional.sample(20, generator=torch.Generator().manual_seed(0), labels=torch.zeros(20, dtype=torch.long))
    second = conditional.sample(20, generator=torch.Generator().manual_seed(0), labels=torch.ones(20, dtype=torch.long))
    assert not torch.equal(first, second), "the label changes what is drawn"


def test_discriminator_width_is_its_own_knob():
    narrow, wide = DCGAN(DCGANConfig(d_channels=16)), DCGAN(DCGANConfig(d_channels=64))
    assert narrow.D.net[0].out_channels == 16 and wide.D.net[0].out_channels == 64
    assert sum(p.numel() for p in narrow.G.parameters()) == sum(p.numel() for p in wide.G.parameters())


def test_linear_decay_holds_then_falls_to_zero():
    factors = [linear_decay(step, 10, 0.6) for step in range(10)]
    assert factors[:6] == [1.0] * 6  # constant for the first 60 % of the steps
    assert factors[6:] == pytest.approx([1.0, 0.75, 0.5, 0.25])  # then linearly down
    with pytest.raises(ValueError, match="decay_after"):
        linear_decay(0, 10, 1.0)


def test_gan_training_applies_the_decay():
    x = torch.rand(64, 1, 28, 28)

    def run(decay_after):
        torch.manual_seed(0)
        model = DCGAN(DCGANConfig(channels=4, d_channels=4))
        train_gan_on_images(model, x, num_epochs=2, batch_size=16, decay_after=decay_after,
                            generator=torch.Generator().manual_seed(0), progress=False)
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    assert torch.equal(run(None), run(None))  # seeded
    assert not torch.equal(run(None), run(0.5))
    with pytest.raises(ValueError, match="decay_after"):
        run(-0.1)


def test_fit_gan_logs_both_players_and_calls_back_every_n_steps():
    torch.manual_seed(0)
    G, D = ToyGenerator(), ToyDiscriminator()
    snapshots = Record(3, lambda state: state.model["G"](torch.zeros(1, 2)).clone())
    history = fit_gan(G, D, lambda: torch.randn(16, 2) + 3, lambda n: torch.randn(n, 2), num_steps=7,
                      d_steps=2, callbacks=[snapshots], progress=False)
    assert isinstance(history, History) and history.num_steps == 0  # no "loss": two losses instead
    assert len(history.steps["d_loss"]) == len(history.steps["g_loss"]) == 7
    assert [step for step, _ in snapshots.values] == [3, 6]
    assert not torch.equal(snapshots.values[0][1], snapshots.values[1][1])  # G moved in between
    with pytest.raises(ValueError, match="num_steps"):
        fit_gan(G, D, lambda: torch.randn(4, 2), lambda n: torch.randn(n, 2), num_steps=0)


def test_fit_gan_takes_an_iterator_of_labelled_batches():
    config = DCGANConfig(channels=4, d_channels=4, num_classes=10)
    model = DCGAN(config)
    batches = iter([(torch.rand(8, 1, 28, 28) * 2 - 1, torch.randint(10, (8,))) for _ in range(3)])
    history = fit_gan(model.G, model.D, batches, lambda n: model.noise(n), num_steps=3, progress=False)
    assert len(history.steps["g_loss"]) == 3
    with pytest.raises(ValueError, match=r"fit_gan: `real` ran out of batches at step 1 of 1 \(an empty or "
                                         r"finished iterator\). Pass an endless source: loader.forever\(\)"):
        fit_gan(model.G, model.D, iter([]), lambda n: model.noise(n), num_steps=1, progress=False)
    with pytest.raises(ValueError, match="ran out of batches at step 3 of 5"):  # dry after 2 steps: said, not a silent stop
        fit_gan(model.G, model.D, iter([batch for batch in [(torch.rand(8, 1, 28, 28) * 2 - 1, torch.randint(10, (8,)))] * 2]),
                lambda n: model.noise(n), num_steps=5, progress=False)


class DiracGenerator(torch.nn.Module):
    """G(z) = theta for every z: the Dirac GAN of Mescheder et al. (2018), with the data at 0."""

    def __init__(self, theta):
        super().__init__()
        self.theta = torch.nn.Parameter(torch.tensor([theta]))

    def forward(self, z):
        return self.theta.expand(len(z), 1)


def test_r1_makes_the_dirac_gan_converge_where_plain_gradient_descent_circles():
    """The reason for R1 (Mescheder et al. 2018, Fig. 1): at the equilibrium theta = psi = 0."""
    def distance_to_equilibrium(r1_gamma, steps=300):
        G, D = DiracGenerator(1.0), torch.nn.Linear(1, 1, bias=False)
        torch.nn.init.zeros_(D.weight)
        optimizers = (torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1))
        fit_gan(G, D, lambda: torch.zeros(1, 1), lambda n: torch.zeros(n, 1), num_steps=steps,
                optimizers=optimizers, r1_gamma=r1_gamma, progress=False)
        return torch.cat([G.theta, D.weight.flatten()]).norm().item()

    assert distance_to_equilibrium(1.0) < 1e-3
    assert distance_to_equilibrium(0.0) > 0.2


def test_frechet_distance_is_zero_on_itself_symmetric_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(500, 8, generator=g)
    b = torch.randn(500, 8, generator=g) * 1.5 + 0.3
    assert abs(frechet_distance(a, a)) < 1e-6
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-6)
    assert frechet_distance(a, a + 1.0) == pytest.approx(8.0, rel=1e-6)  # ||shift||^2, same covariance


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    # Exact moments: Gaussians N(0, diag(s1^2)) and N(0, diag(s2^2)) give sum (s1 - s2)^2.
    s1, s2 = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 3.0])
    n = 200_000
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(n, 2, generator=g) * s1, torch.randn(n, 2, generator=g) * s2
    assert frechet_distance(a, b) == pytest.approx(((s1 - s2) ** 2).sum().item(), abs=0.05)


def test_classifier_features_shape():
    features = DigitClassifier(ClassifierConfig(feature_dim=16)).features(torch.zeros(3, 1, 28, 28))
    assert features.shape == (3, 16)


def test_fit_gan_refuses_an_empty_loader_an_empty_batch_and_ends_with_numbers_for_weights():
    from lecturelib.data import TensorLoader

    G, D = ToyGenerator(), ToyDiscriminator()
    empty = TensorLoader(torch.zeros(0, 2), batch_size=4)
    with pytest.raises(ValueError, match=r"forever\(\) needs at least one batch, and this loader has none"):
        fit_gan(G, D, empty.forever(), lambda n: torch.randn(n, 2), num_steps=3, progress=False)  # no endless spin
    with pytest.raises(ValueError, match=r"the real batch of step 1 is empty, shape \(0, 2\)"):
        fit_gan(G, D, lambda: torch.zeros(0, 2), lambda n: torch.randn(n, 2), num_steps=1, progress=False)
    # G steps last: its losses were finite, its weights after the step are not
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=1e38), torch.optim.Adam(D.parameters(), lr=1e-3)
    with pytest.raises(FloatingPointError, match=r"after 1 steps the weights of G are no longer numbers .*"
                                                 r"the learning rate \(G 1e\+38, D 0.001\) is probably too high"):
        fit_gan(G, D, lambda: torch.randn(16, 2) + 3, lambda n: torch.randn(n, 2), num_steps=1,
                optimizers=(opt_G, opt_D), g_loss=lambda logits: 1e10 * torch.nn.functional.softplus(-logits).mean(), progress=False)
