"""What the parts of a student's VAE do on inputs the check controls (assignment 04, vae_model):
the shapes of encode, decode and loss on the untrained model, then the loss with an encoder and a
decoder of the check's own: encode gives a fixed mu and logvar, decode a fixed map of z that records
every z it is given. So the check sees the z the loss draws (is it mu + sigma * eps with eps ~ N(0, I),
with gradients?) and knows the exact -ELBO of that z, at moderate logits and at confident ones
(20 to 120), where a loss through probabilities breaks. Nothing here trains; it costs milliseconds.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..models.vae import gaussian_log_prob
from . import NOT_ANSWERED
from .assignments import describe

LATENT_DIM = 16  # D, as the shipped VAE
PROBE_LOGVARS = (-4.0, 2.0)  # the probe's encoder gives each latent one of these: sigma 0.14 or 2.7


def nll_per_digit(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The check's own -log p(x|z) per digit, in float64 from its formula (softplus(l) = log(1 + e^l)):
    -sum_i [x_i log sigmoid(l_i) + (1 - x_i) log sigmoid(-l_i)]; (..., 1, 28, 28) -> (...)."""
    logits, x = logits.double(), x.double()
    return (x * F.softplus(-logits) + (1 - x) * F.softplus(logits)).flatten(-3).sum(-1)


def kl_per_digit(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:  # float64, (..., D) -> (...)
    mu, logvar = mu.detach().double(), logvar.detach().double()
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(-1)


def shape_problem(model: nn.Module, x: torch.Tensor, generator: torch.Generator) -> str | None:
    """Shapes, outputs that can be logits, gradients into both networks: cheap, on the untrained model."""
    for method in ("encode", "decode", "loss"):
        if not callable(getattr(model, method, None)):
            return f"your model has no method `{method}`: write encode, decode and loss"
    b, codes = len(x), model.encode(x)
    if codes is None:
        return NOT_ANSWERED
    if not (isinstance(codes, (tuple, list)) and len(codes) == 2
            and all(isinstance(c, torch.Tensor) and c.shape == (b, LATENT_DIM) for c in codes)):
        return (f"`encode` should map {b} digits ({b}, 1, 28, 28) to two tensors, mu and logvar, each "
                f"({b}, {LATENT_DIM}); got {describe(codes, items=True)}")
    if all(c.min() >= 0 for c in codes):
        return ("your encoder's outputs are never negative: mu and logvar are any real numbers (no ReLU after "
                "the last layer); with logvar >= 0 no code can be surer than the prior")
    logits = model.decode(torch.randn(b, LATENT_DIM, generator=generator))
    if logits is None:
        return NOT_ANSWERED
    if not isinstance(logits, torch.Tensor) or logits.shape != (b, 1, 28, 28):
        return f"`decode` should map codes ({b}, {LATENT_DIM}) to logits ({b}, 1, 28, 28); got {describe(logits, items=True)}"
    if logits.min() >= 0:
        return ("your decoder's outputs are never negative (all in [0, 1]: probabilities?): `decode` returns the "
                "logits of p(x|z), any real numbers, and a black background needs negative ones (no sigmoid or "
                "ReLU after the last layer)")
    loss = model.loss(x)
    if loss is None:
        return NOT_ANSWERED
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        return f"`loss(x)` should return one number (a scalar tensor: the mean over the batch), got {describe(loss, items=True)}"
    model.zero_grad()
    loss.backward()
    silent = [name for name, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
    if silent:
        return f"no gradient reaches {silent[:3]}: both networks learn from the loss (no torch.no_grad(), no .detach())"
    return None


def _sample_problem(decoded: list, mu: torch.Tensor, logvar: torch.Tensor) -> str | None:
    """z, as the loss decoded it: mu + sigma * eps, eps ~ N(0, I), sigma the standard deviation, with gradients."""
    if not decoded:
        return ("your loss never called self.decode: get mu, logvar from self.encode(x) and the logits from "
                "self.decode(z) (the check swaps both for its own to test the loss)")
    if any(z.shape != mu.shape for z, _ in decoded):
        return f"`loss` decoded codes of {describe(decoded[0][0], items=True)}: decode one code z per digit, {tuple(mu.shape)}"
    z = torch.stack([z.detach() for z, _ in decoded])  # (calls, B, D)
    if torch.equal(z, mu.detach().expand_as(z)):
        return ("your loss decodes z = mu, with no noise: that is an autoencoder with a KL term, not a VAE. "
                "Draw z from q(z|x) by reparameterization, z = mu + sigma * eps, eps ~ N(0, I)")
    if not all(z.requires_grad for z, _ in decoded):
        return "your z has no path back to mu and logvar (.sample(), .detach() or no_grad): reparameterize it"
    offsets, lv = z - mu.detach(), logvar.detach().expand_as(z)
    for scale, diagnosis in ((lv.exp(), "you scaled the noise by exp(logvar), the variance (or took logvar for "
                                        "log sigma): logvar is log sigma^2, so sigma = exp(logvar / 2)"),
                             (lv, "you used logvar itself as the standard deviation: logvar is log sigma^2"),
                             ((0.5 * lv).exp(), None)):
        eps = offsets / scale  # the noise, if this was the scale
        spread, centre = ([f(eps[lv == v]).item() for v in PROBE_LOGVARS] for f in (torch.std, torch.mean))
        if all(0.8 < s < 1.25 for s in spread) and all(abs(c) < 0.25 for c in centre):
            return diagnosis
    return ("(z - mu) / sigma, with sigma the standard deviation of q(z|x), should be standard normal noise; it "
            + " and ".join(f"has mean {c:.2f} and spread {s:.2f} where logvar = {v:g}"
                           for c, s, v in zip(centre, spread, PROBE_LOGVARS)))


MISTAKES = {  # diagnosis -> the loss with that mistake, from (recon, KL, mu, logvar) per digit
    "the KL term is subtracted: the ELBO subtracts it, so -ELBO = reconstruction + KL": lambda r, kl, mu, lv: r - kl,
    "the KL term is missing: without it nothing keeps the codes near the prior": lambda r, kl, mu, lv: r,
    "the KL term lacks its factor 1/2 (Kingma & Welling, Appendix B)": lambda r, kl, mu, lv: r + 2 * kl,
    "the KL term takes logvar for log sigma: logvar is log sigma^2": lambda r, kl, mu, lv: r + kl_per_digit(mu, 2 * lv),
    "the KL term is averaged over the latent dimensions: sum them, as the pixels":
        lambda r, kl, mu, lv: r + kl / LATENT_DIM,
    "your loss averages the reconstruction over the pixels: a digit's -log p(x|z) is the sum over its 784 pixels; "
    "averaged, the KL weighs 784 times too much": lambda r, kl, mu, lv: r / 784 + kl,
}


def loss_problem(model: nn.Module, x: torch.Tensor, generator: torch.Generator) -> str | None:
    """The student's loss with an encoder and a decoder of the check's own (encode gives fixed mu,
    logvar; decode a fixed map of z), recording each z it decodes: its z, then its value at moderate
    logits and at confident ones (20 to 120, mostly right, some confidently wrong)."""
    b = len(x)
    mu = torch.randn(b, LATENT_DIM, generator=generator).requires_grad_()
    logvar = torch.tensor(PROBE_LOGVARS)[torch.randint(2, (b, LATENT_DIM), generator=generator)].requires_grad_()
    weights = torch.randn(LATENT_DIM, 784, generator=generator) / LATENT_DIM ** 0.5
    right = torch.rand(b, 1, 28, 28, generator=generator) < 0.8
    confident = (20 + 100 * torch.rand(b, 1, 28, 28, generator=generator)) * torch.where(right, 2 * x - 1, 1 - 2 * x)
    values, expected = {}, {}
    for name, base, scale in (("moderate", 2 * torch.randn(b, 1, 28, 28, generator=generator), 1.0),
                              ("confident", confident, 0.01)):
        decoded = []

        def decode(z, base=base, scale=scale):  # a fixed map of z, recording what it was given
            decoded.append((z, base + scale * (z @ weights).unflatten(-1, (1, 28, 28))))
            return decoded[-1][1]

        model.encode, model.decode = (lambda x_: (mu, logvar)), decode
        try:
            values[name] = model.loss(x).detach().double().item()
        except Exception as err:  # e.g. a loss that reaches into the networks instead of encode / decode
            return (f"your loss raised {type(err).__name__} ({str(err)[:120]}) with the check's own encoder (mu, "
                    "logvar, each (B, D)) and decoder (logits (B, 1, 28, 28)): use only self.encode and self.decode")
        finally:
            del model.encode, model.decode  # the class's own methods again
        problem = _sample_problem(decoded, mu, logvar)
        if problem is not None:
            return problem
        z = torch.stack([z.detach().double() for z, _ in decoded])  # (calls, B, D)
        recon = torch.stack([nll_per_digit(logits.detach(), x) for _, logits in decoded]).mean(0)  # (B,)
        by_sampling = (gaussian_log_prob(z, mu.detach().double(), logvar.detach().double())  # log q(z|x)
                       - gaussian_log_prob(z, torch.zeros_like(z), torch.zeros_like(z))).mean(0)  # - log p(z)
        expected[name] = [(recon + kl).mean().item() for kl in (kl_per_digit(mu, logvar), by_sampling)]
        if name == "moderate":
            parts = recon, kl_per_digit(mu, logvar), mu, logvar  # what the usual mistakes are made of
    tolerance = {name: 1e-3 * abs(expected[name][0]) + 1e-2 for name in expected}
    close = {name: any(abs(values[name] - e) <= tolerance[name] for e in expected[name]) for name in values}
    if not close["moderate"]:
        for diagnosis, mistake in MISTAKES.items():
            if abs(values["moderate"] - mistake(*parts).mean().item()) <= tolerance["moderate"]:
                return diagnosis
        if abs(values["moderate"] - b * expected["moderate"][0]) <= b * tolerance["moderate"]:
            return "your loss is summed over the batch: average over the digits, so it does not grow with the batch size"
        return (f"your loss gives {values['moderate']:.2f} where the -ELBO of the same z and logits gives "
                f"{expected['moderate'][0]:.2f} (reconstruction {parts[0].mean():.2f} + KL {parts[1].mean():.2f}, "
                "each summed over its digit's dimensions, averaged over the batch)")
    if not math.isfinite(values["confident"]):
        return ("your loss is inf or nan when the decoder is confident (logits of 20 to 120): in float32 "
                "sigmoid(20) is exactly 1, and log(1 - 1) is -inf. Stay in logits: the log of a sigmoid has "
                "a stable form (F.logsigmoid, or the cross-entropy with logits).")
    if not close["confident"]:
        return (f"your loss is right at moderate logits but wrong at confident ones (20 to 120): "
                f"{values['confident']:.1f} where the -ELBO is {expected['confident'][0]:.1f}. Turning logits "
                "into probabilities first loses them: sigmoid(20) is exactly 1 in float32, and PyTorch clamps "
                "log(0) to -100. Stay in logits.")
    return None
