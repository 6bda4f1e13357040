"""What each shipped checkpoint records, on the shipped test split: every `evaluate` has one
signature, (model, Evidence) -> metrics, and reads what `recipes.measure` gathered for it.

The Fréchet classifier distance appears under two names, for its two domains: `*_grey` (the
GANs: grey samples against the grey test digits, the conditional one asked for the test set's
labels) and `*_binary` (the diffusion models and notebook 08's table: samples as coins against
the binarized test digits). Their floors differ, so only a ratio to the floor of the same domain
compares across them.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data import load_binarized_test, load_digits
from ..metrics import (bits_per_dim, classifier_accuracy, confident_share, fcd_with_spread,
                       frechet_classifier_distance)
from ..models.autoencoder import reconstruction_loss
from ..models.diffusion.bound import variational_bound
from ..models.likelihood import bernoulli_nll
from ..models.vae import gaussian_kl
from .recipe import Evidence
from .samples import FCD_SAMPLES, binary_floor, grey_floor, labels_in_turn

IWAE_SAMPLES = 100  # k of the importance-weighted estimate recorded for every VAE checkpoint


@torch.no_grad()
def evaluate_autoencoder(model: nn.Module, evidence: Evidence) -> dict[str, float]:
    """Test reconstruction: squared error and cross-entropy (nats), per digit."""
    model.eval()
    x, _ = load_digits("test")
    logits = torch.cat([model.decoder(model.encoder(part)) for part in x.split(500)])
    squared = (torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1).mean().item()
    return {"test_squared_error": squared, "test_recon_nats": reconstruction_loss(logits, x).item()}


@torch.no_grad()
def vae_test_log_likelihoods(model: nn.Module, parts: int | None = None,
                             iwae: bool = True) -> dict[str, torch.Tensor]:
    """Per test digit (2,000,), on the statically binarized test split, with seeded noise so the
    numbers repeat exactly: the ELBO and its two terms (one z per digit), and the IWAE-100
    estimate of log p(x). `evaluate_vae` averages them for the manifest. The digits go 500 at a
    time; `parts` stops after that many (the first values are the same as in the whole run), and
    `iwae=False` leaves the estimate out (then only the first part's values are the whole run's)."""
    model.eval()
    x, _ = load_binarized_test()
    generator = torch.Generator().manual_seed(0)
    kinds = ["recon", "kl"] + ([f"iwae{IWAE_SAMPLES}"] if iwae else [])
    values: dict[str, list[torch.Tensor]] = {kind: [] for kind in kinds}
    for part in x.split(500)[:parts]:
        noise = torch.randn(len(part), model.config.latent_dim, generator=generator)
        output = model(part, noise=noise)
        values["recon"].append(bernoulli_nll(output.logits, part))  # -log p(x|z), (B,)
        values["kl"].append(gaussian_kl(output.mu, output.logvar))  # (B,)
        if iwae:
            values[f"iwae{IWAE_SAMPLES}"].append(model.iwae_log_likelihood(part, IWAE_SAMPLES, generator=generator))
    result = {kind: torch.cat(value) for kind, value in values.items()}
    result["elbo"] = -(result["recon"] + result["kl"])
    return result


def evaluate_vae(model: nn.Module, evidence: Evidence) -> dict[str, float]:
    """Test -ELBO (and its two terms) and the IWAE-100 estimate of -log p(x), nats per digit:
    the means of the per-digit values."""
    values = evidence.log_likelihoods
    return {"test_neg_elbo": -values["elbo"].mean().item(), "test_recon": values["recon"].mean().item(),
            "test_kl": values["kl"].mean().item(),
            f"test_nll_iwae{IWAE_SAMPLES}": -values[f"iwae{IWAE_SAMPLES}"].mean().item()}


@torch.no_grad()
def pixel_test_log_likelihoods(model: nn.Module, digits: int | None = None) -> dict[str, torch.Tensor]:
    """{"exact": log p(x) of every test digit (2,000,)}, on the statically binarized test split
    (or of its first `digits`: exact, the same values as in the whole run)."""
    model.eval()
    x = load_binarized_test().x[:digits]
    return {"exact": torch.cat([model.log_prob(part) for part in x.split(500)])}


def evaluate_pixel_model(model: nn.Module, evidence: Evidence) -> dict[str, float]:
    """Exact test NLL, nats per digit and bits/dim: the mean of the per-digit values."""
    nll = -evidence.log_likelihoods["exact"].mean().item()
    return {"test_nll": nll, "test_bits_per_dim": bits_per_dim(nll)}


@torch.no_grad()
def grey_test_log_likelihoods(model: nn.Module, digits: int | None = None) -> dict[str, torch.Tensor]:
    """Per 8-bit test digit (2,000,), on the grey test digits as loaded: {"exact": log P(x)} of a
    model that has it (the 256-way PixelCNN), or {"bound": ...} of a flow, the uniform
    dequantization bound with seeded u (one draw per digit). `digits`: the first that many only,
    the same values as in the whole run."""
    model.eval()
    x = load_digits("test").x[:digits]
    if not getattr(model, "dequantized", False):
        return {"exact": torch.cat([model.log_prob(part) for part in x.split(500)])}
    generator = torch.Generator().manual_seed(0)
    return {"bound": torch.cat([model.log_prob(part, generator=generator) for part in x.split(500)])}


def evaluate_grey_model(model: nn.Module, evidence: Evidence) -> dict[str, float]:
    """Test NLL of the 8-bit digits (exact, or the flow's bound on it), nats per digit and
    bits/dim: the mean of the per-digit values."""
    (values,) = evidence.log_likelihoods.values()  # "exact", or the flow's "bound"
    nll = -values.mean().item()
    return {"test_nll_8bit": nll, "test_bits_per_dim_8bit": bits_per_dim(nll)}


BOUND_DRAWS = 16  # stratified draws of t per digit for the diffusion bound's middle terms


@torch.no_grad()
def diffusion_test_bounds(model: nn.Module, digits: int | None = None, seed: int = 0) -> dict[str, torch.Tensor]:
    """Per 8-bit test digit: {"bound": minus Ho et al.'s bound L (a lower bound on log P(x)),
    "bound_sd": the standard error of its sampled terms}, 500 digits at a time with seeded draws
    (`digits`: the first that many, with draws of their own, so only close to the whole run's)."""
    model.eval()
    x = load_digits("test").x[:digits]
    generator = torch.Generator().manual_seed(seed)
    parts = [variational_bound(model, part, BOUND_DRAWS, generator) for part in x.split(500)]
    return {"bound": -torch.cat([p.total for p in parts]), "bound_sd": torch.cat([p.middle_sd for p in parts])}


def evaluate_diffusion(model: nn.Module, evidence: Evidence) -> dict[str, float]:
    """`evaluate_samples_binary`, and for the unconditional model its bound on the 8-bit test
    digits (nats per digit and bits/dim), with the standard error of the t-sampling in it."""
    metric = evaluate_samples_binary(model, evidence)
    if evidence.log_likelihoods is not None:
        bound, sd = evidence.log_likelihoods["bound"], evidence.log_likelihoods["bound_sd"]
        metric["test_nll_8bit"] = -bound.mean().item()
        metric["test_bits_per_dim_8bit"] = bits_per_dim(metric["test_nll_8bit"])
        metric["test_bits_per_dim_8bit_t_sd"] = bits_per_dim(sd.pow(2).mean().sqrt().item() / len(sd) ** 0.5)
    return metric


def evaluate_classifier(model: nn.Module, evidence: Evidence) -> dict[str, float]:
    x, y = load_digits("test")
    return {"test_accuracy": classifier_accuracy(x, y, model)}


@torch.no_grad()
def evaluate_gan_grey(model: nn.Module, evidence: Evidence) -> dict[str, float]:
    """In the grey domain: the Fréchet classifier distance of 2,000 seeded samples to the 2,000
    test digits, next to the floor (`metrics.fcd_floor`: real training digits, 2,000 at a time,
    against the same test digits). The conditional model is asked for the test set's labels, and
    scored also on whether the classifier agrees."""
    classifier = evidence.classifier
    x_test, y_test = load_digits("test")
    labels = y_test if model.config.num_classes else None
    samples = model.sample(FCD_SAMPLES, generator=torch.Generator().manual_seed(0), labels=labels)
    metric = {"test_fcd_grey": frechet_classifier_distance(samples, x_test, classifier),
              "fcd_floor_grey": grey_floor(classifier).value}
    if labels is not None:
        metric["label_agreement"] = classifier_accuracy(samples, labels, classifier)
    return metric


@torch.no_grad()
def evaluate_samples_binary(model: nn.Module, evidence: Evidence) -> dict[str, float]:
    """In the binary domain of the recap (the samples are coins): the Fréchet classifier distance
    to the binarized test digits, its floor, and the share of samples the classifier is sure of;
    for a conditional model also how often it reads the digit that was asked for."""
    classifier, samples = evidence.classifier, evidence.samples
    metric = {"test_fcd_binary": fcd_with_spread(samples, load_binarized_test().x, classifier).value,
              "fcd_floor_binary": binary_floor(classifier).value,
              "confident_share": confident_share(samples, classifier)}
    if model.config.num_classes:
        metric["label_agreement"] = classifier_accuracy(samples, labels_in_turn(len(samples)), classifier)
    return metric
