"""Exercises of notebook 04: the reparameterized sample, the negative ELBO (which then trains a
VAE), the IWAE estimate from log-weights, and which way the ELBO bounds the likelihood."""

from __future__ import annotations

from typing import Iterator

import torch
from torch.nn import functional as F

from ..config import isolated_seed
from ..data import TensorLoader, binarize_dynamic, load_binarized_test, load_digits
from ..models.vae import VAE, VAEConfig, VAEOutput, iwae_estimate, negative_elbo as reference_elbo, reparameterize as reference_z
from ..recipes import load_pretrained
from ..train import evaluate, fit
from . import Build, Case, Exercise, NOT_ANSWERED, Question, randn, sizes

# ---------------------------------------------------------------------------------------------
# 04.1 · the reparameterized sample
# ---------------------------------------------------------------------------------------------


def _test_reparameterize(answer, generator: torch.Generator) -> str | None:
    shapes = [(sizes(generator, 2, 9), 16), (1, 2), (sizes(generator, 3, 6), sizes(generator, 2, 5), 8)]
    for number, shape in enumerate(shapes, 1):
        where = f"case {number} of {len(shapes)} (mu and logvar of shape {shape})"
        mu = randn(generator, *shape).requires_grad_()
        logvar = randn(generator, *shape).requires_grad_()
        noise = randn(generator, *shape)
        z = answer(mu, logvar, noise)
        if z is None:
            return NOT_ANSWERED
        if not isinstance(z, torch.Tensor) or tuple(z.shape) != shape:
            return f"{where}: expected a tensor of shape {shape}, got {getattr(z, 'shape', type(z).__name__)}."
        sigma = torch.exp(0.5 * logvar.detach())
        for wrong, diagnosis in ((mu + torch.exp(logvar) * noise, "you multiplied the noise by the variance "
                                  "exp(logvar): the standard deviation is exp(0.5 * logvar)."),
                                 (mu + logvar * noise, "you used logvar itself as the standard deviation: "
                                  "sigma = exp(0.5 * logvar)."),
                                 (sigma * noise, "the mean is missing: z = mu + sigma * noise."),
                                 (mu + sigma, "the noise is missing: z = mu + sigma * noise.")):
            if torch.allclose(z.detach(), wrong.detach(), atol=1e-5) and not torch.allclose(wrong, mu + sigma * noise):
                return f"{where}: {diagnosis}"
        if not torch.allclose(z.detach(), mu.detach() + sigma * noise, atol=1e-5):
            return (f"{where}: z differs from mu + sigma * noise by up to "
                    f"{(z.detach() - mu.detach() - sigma * noise).abs().max():.3g}, with sigma the standard "
                    f"deviation of q(z|x), whose log-variance is logvar. Did you draw fresh noise instead "
                    f"of using `noise`?")
        if not z.requires_grad:
            return (f"{where}: the values are right, but z has no path back to mu and logvar (did you "
                    f"detach, call .sample(), or build z under torch.no_grad()?): the encoder could not learn.")
        d_mu, d_logvar = torch.autograd.grad(z.sum(), (mu, logvar), allow_unused=True)
        if d_mu is None or d_logvar is None or not torch.allclose(d_logvar, 0.5 * sigma * noise, atol=1e-5):
            return (f"{where}: the values are right, but the gradient does not reach "
                    f"{'mu' if d_mu is None else 'logvar'} as it should: dz/dlogvar = 0.5 * sigma * noise.")
    return None


def _use_reparameterize(answer) -> str:
    """The shipped VAE's loss with the student's z, and the gradient it sends to the encoder."""
    vae = load_pretrained("vae")
    x, _ = load_binarized_test()
    x = x[:500]
    noise = torch.randn(len(x), vae.config.latent_dim, generator=torch.Generator().manual_seed(0))
    mu, logvar = vae.encode(x)
    z = answer(mu, logvar, noise)
    terms = reference_elbo(VAEOutput(vae.decoder(z), mu, logvar, z), x)
    vae.zero_grad()
    terms.loss.backward()
    reached = sum(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in vae.encoder.parameters())
    library = reference_elbo(vae(x, noise=noise), x).loss.item()
    return (f"the shipped VAE with your z: -ELBO {terms.loss.item():.2f} nats per digit on 500 test "
            f"digits (lecturelib: {library:.2f}); its gradient reaches all {reached} parameter "
            f"tensors of the encoder.")


def _detached(mu, logvar, noise):
    return (mu + torch.exp(0.5 * logvar) * noise).detach()


reparameterize = Build(
    name="04.1 · the reparameterized sample",
    test=_test_reparameterize,
    solution=lambda mu, logvar, noise: mu + torch.exp(0.5 * logvar) * noise,
    wrong={
        "the standard deviation is exp(0.5 * logvar)": lambda mu, logvar, noise: mu + torch.exp(logvar) * noise,
        "used logvar itself as the standard deviation": lambda mu, logvar, noise: mu + logvar * noise,
        "the mean is missing": lambda mu, logvar, noise: torch.exp(0.5 * logvar) * noise,
        "fresh noise": lambda mu, logvar, noise: mu + torch.exp(0.5 * logvar) * torch.randn_like(mu),
        "no path back to mu and logvar": _detached,
    },
    use=_use_reparameterize,
)

# ---------------------------------------------------------------------------------------------
# 04.2 · the negative ELBO
# ---------------------------------------------------------------------------------------------


def _elbo_cases(generator: torch.Generator) -> Iterator[Case]:
    for b, side, d in ((sizes(generator, 2, 9), 28, 16), (sizes(generator, 10, 40), 5, 3), (1, 4, 2)):
        logits = 3 * randn(generator, b, 1, side, side)
        x = torch.bernoulli(torch.rand(b, 1, side, side, generator=generator), generator=generator)
        yield Case(f"B = {b} images of {side}x{side}, D = {d}",
                   (logits, x, randn(generator, b, d), randn(generator, b, d)))
    # confident logits, as a trained decoder gives them: in float32, 1 - sigmoid(20) is 0
    size = 20 + 100 * torch.rand(3, 1, 4, 4, generator=generator)
    x = torch.bernoulli(torch.full((3, 1, 4, 4), 0.5), generator=generator)
    yield Case("B = 3 images of 4x4 with logits of size 20 to 120, D = 2",
               (randn(generator, 3, 1, 4, 4).sign() * size, x, randn(generator, 3, 2), randn(generator, 3, 2)))


def _reference_elbo(logits, x, mu, logvar):
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
    return (recon + kl).mean()


def _recon(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def _kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)


def _recon_through_probabilities(logits, x):
    """-log p(x|z) through sigmoid then log: -inf or nan in float32 at confident logits."""
    p = torch.sigmoid(logits)
    return -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)


@isolated_seed(0)  # the initial weights, the noise of z and the dynamic binarization
def _use_elbo(answer) -> str:
    """Two epochs of a fresh VAE trained by the student's loss; the test -ELBO before and after."""
    x_train, _ = load_digits("train")
    x_test, _ = load_binarized_test()
    model = VAE(VAEConfig(latent_dim=16))
    test = TensorLoader(x_test[:500], batch_size=500)
    before = evaluate(model, test)["loss"]

    def loss(m, batch):
        out = m(batch[0])
        return answer(out.logits, batch[0], out.mu, out.logvar)

    loader = TensorLoader(x_train, batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0),
                          transform=binarize_dynamic)
    history = fit(model, loader, num_epochs=2, progress=False, loss_fn=loss)
    after = evaluate(model, test)
    return (f"a fresh VAE trained by your loss for two epochs ({history.num_steps} steps, "
            f"{history.seconds:.0f} s): test -ELBO from {before:.0f} to {after['loss']:.1f} nats per "
            f"digit (recon {after['recon']:.1f} + KL {after['kl']:.1f}, measured by lecturelib on 500 "
            f"test digits).")


negative_elbo = Exercise(
    name="04.2 · the negative ELBO",
    reference=_reference_elbo,
    cases=_elbo_cases,
    mistakes={
        "the KL term is subtracted: the ELBO subtracts it, so -ELBO = recon + KL.":
            lambda logits, x, mu, logvar: (_recon(logits, x) - _kl(mu, logvar)).mean(),
        "the KL term is missing: without it nothing keeps the codes near the prior.":
            lambda logits, x, mu, logvar: _recon(logits, x).mean(),
        "the reconstruction term is averaged over the pixels: a digit's -log p(x|z) is the sum over "
        "its pixels (then average over the batch).":
            lambda logits, x, mu, logvar: F.binary_cross_entropy_with_logits(logits, x) + _kl(mu, logvar).mean(),
        "the KL term is missing its factor 1/2.":
            lambda logits, x, mu, logvar: (_recon(logits, x) + 2 * _kl(mu, logvar)).mean(),
        "summed over the batch: average over the digits, so the loss does not grow with the batch size.":
            lambda logits, x, mu, logvar: (_recon(logits, x) + _kl(mu, logvar)).sum(),
        "the KL uses the variance where the log-variance belongs (or the reverse): KL = 0.5 * "
        "sum(mu^2 + exp(logvar) - 1 - logvar).":
            lambda logits, x, mu, logvar: (_recon(logits, x) + 0.5 * (mu.pow(2) + logvar - 1 - logvar.exp()).sum(1)).mean(),
        "log(sigmoid(logits)) breaks at confident logits: in float32 1 - sigmoid(20) is 0, and its "
        "log -inf. Stay in logits: binary_cross_entropy_with_logits (or F.logsigmoid).":
            lambda logits, x, mu, logvar: (_recon_through_probabilities(logits, x) + _kl(mu, logvar)).mean(),
    },
    hint="-ELBO = E_q[-log p(x|z)] + KL(q(z|x) || p(z)), as on the slide 'Each term is one line of code': "
         "the first is the Bernoulli negative log-likelihood of every pixel given its logit, the second the "
         "closed form for two Gaussians; sum each over its digit's dimensions (pixels, latent), then "
         "average over the batch.",
    use=_use_elbo,
)

# ---------------------------------------------------------------------------------------------
# 04.3 · the IWAE estimate from log-weights
# ---------------------------------------------------------------------------------------------


def _iwae_cases(generator: torch.Generator) -> Iterator[Case]:
    for k, b, centre in ((sizes(generator, 20, 60), sizes(generator, 2, 9), -150.0), (1, 5, -90.0),
                         (7, 1, -3.0), (100, 3, -120.0)):
        yield Case(f"k = {k} samples of B = {b} digits, log-weights near {centre:.0f}",
                   (centre + 3 * randn(generator, k, b),))
    # digits far apart, as a batch of easy and hard digits is: one max for the whole batch
    # leaves exp(-400) = 0 for the hard ones; each digit needs its own
    for k in (1, 50):
        centres = torch.tensor([-300.0, -350.0, -700.0, -1000.0])
        yield Case(f"k = {k} samples of B = 4 digits, log-weights near -300, -350, -700, -1000",
                   (centres + 3 * randn(generator, k, 4),))


def _one_max_for_the_batch(log_w: torch.Tensor) -> torch.Tensor:
    top = log_w.max()  # one number: the largest log-weight of the whole batch
    return top + torch.log(torch.exp(log_w - top).mean(0))


def _use_iwae(answer) -> str:
    """The student's estimate on the shipped VAE's log-weights: rising in k."""
    vae = load_pretrained("vae")
    x, _ = load_binarized_test()
    log_w = vae.log_weights(x[:100], 100, generator=torch.Generator().manual_seed(1))  # (100, 100)
    estimates = {k: answer(log_w[:k]).mean().item() for k in (1, 10, 100)}
    return ("on the shipped VAE's log-weights of 100 test digits, your estimate of log p(x), in nats "
            "per digit: " + ", ".join(f"k = {k}: {v:.2f}" for k, v in estimates.items())
            + f" (lecturelib, k = 100: {iwae_estimate(log_w).mean():.2f}); k = 1 is the ELBO, and the "
              "bound rises with k.")


iwae = Exercise(
    name="04.3 · the IWAE estimate",
    reference=iwae_estimate,
    cases=_iwae_cases,
    mistakes={
        "that is the average log-weight, the ELBO: IWAE takes the log of the average weight.":
            lambda log_w: log_w.mean(0),
        "the 1/k is missing: logsumexp gives log sum_j w_j; subtract log k for the mean.":
            lambda log_w: torch.logsumexp(log_w, 0),
        "exp underflowed: weights near e^-150 are 0 in float32. Subtract the largest log-weight "
        "before exp and add it back (or use torch.logsumexp).":
            lambda log_w: torch.log(torch.exp(log_w).mean(0)),
        "you kept only the largest weight: log mean exp is at most log k below it, but not equal.":
            lambda log_w: log_w.max(0).values,
        "one max for the whole batch: digits whose log-weights lie far below it still underflow "
        "(exp(-400) is 0). Subtract each digit's own largest log-weight (max over dim 0, the "
        "samples), or use torch.logsumexp(log_w, 0).": _one_max_for_the_batch,
    },
    hint="the log of the mean weight over the k samples (dim 0), per digit: the weights themselves "
         "underflow, so keep to their logs all the way (the slide 'How good is the bound?').",
    use=_use_iwae,
)

# ---------------------------------------------------------------------------------------------
# 04.4 · which way does the bound go?
# ---------------------------------------------------------------------------------------------

bound_direction = Question.load("04.4")  # its text: questions.json
