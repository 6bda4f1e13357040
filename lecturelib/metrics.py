"""Measures of generative models that the notebooks report.

- nats per image <-> bits per dimension (below);
- the Fréchet classifier distance: the idea of the FID (Heusel et al. 2017, arXiv:1706.08500),
  computed in the 128-d penultimate layer of a small digit classifier trained in this course
  (`DigitClassifier`, checkpoint `classifier`) instead of an ImageNet Inception network. Its values
  are therefore on their own scale: compare them with the real-vs-real floor, not with FIDs in papers.

Likelihoods in the course are in nats per image (natural log, summed over the 784 pixels of a
digit), the unit of the papers on binarized MNIST. Bits per dimension divides by the number of
pixels and by ln 2, which makes images of different sizes comparable:

    bits/dim = NLL_nats / (D ln 2),  D = C * H * W
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

DIGIT_DIMS = 28 * 28  # D for one MNIST digit


def bits_per_dim(nll_nats: float, num_dims: int = DIGIT_DIMS) -> float:
    """Negative log-likelihood in nats per image -> bits per dimension."""
    if num_dims < 1:
        raise ValueError(f"num_dims must be positive, got {num_dims}")
    return nll_nats / (num_dims * math.log(2))


def nats_per_image(bits_per_dimension: float, num_dims: int = DIGIT_DIMS) -> float:
    """Bits per dimension -> negative log-likelihood in nats per image (the inverse)."""
    if num_dims < 1:
        raise ValueError(f"num_dims must be positive, got {num_dims}")
    return bits_per_dimension * num_dims * math.log(2)


# ---------------------------------------------------------------------------------------------
# Fréchet classifier distance
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClassifierConfig:
    feature_dim: int = 128  # width of the penultimate layer, where the Fréchet distance is taken


class DigitClassifier(nn.Module):
    """(B, 1, 28, 28) in [0, 1] -> 10 logits; `features` gives the 128-d penultimate layer."""

    def __init__(self, config: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        self.config = config
        feature_dim = config.feature_dim
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 64, 7, 7)
            nn.Flatten(), nn.Linear(64 * 7 * 7, feature_dim), nn.ReLU(),  # (B, 128)
        )
        self.head = nn.Linear(feature_dim, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(self(x), y)

    @torch.no_grad()
    def features(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Penultimate-layer features (N, 128) of images in [0, 1], in eval mode."""
        self.eval()
        return torch.cat([self.body(part) for part in x.split(batch_size)])


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, F):
        ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)),
    with Tr((S_a S_b)^(1/2)) = sum sqrt(eig(S_a^(1/2) S_b S_a^(1/2))), in float64."""
    a, b = features_a.double(), features_b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    eigenvalues, eigenvectors = torch.linalg.eigh(cov_a)
    sqrt_a = eigenvectors @ torch.diag(eigenvalues.clamp_min(0).sqrt()) @ eigenvectors.T
    cross = torch.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a).clamp_min(0).sqrt().sum()
    return ((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross).item()


def frechet_classifier_distance(images_a: torch.Tensor, images_b: torch.Tensor,
                                classifier: DigitClassifier) -> float:
    """Fréchet distance in the classifier's feature space between two image sets in [0, 1]."""
    return frechet_distance(classifier.features(images_a), classifier.features(images_b))


class SpreadFCD(NamedTuple):
    """A Fréchet classifier distance with its noise: how much a fresh draw of samples would move it."""

    value: float  # the distance between the full sets
    spread: float  # its standard deviation from one draw of N samples to the next (estimated)

    def clearly_below(self, other: SpreadFCD, num_sd: float = 2.0) -> bool:
        """True when self is lower than other by more than num_sd combined standard deviations."""
        return other.value - self.value > num_sd * math.hypot(self.spread, other.spread)


def fcd_with_spread(images: torch.Tensor, reference: torch.Tensor, classifier: DigitClassifier,
                    num_halves: int = 50, seed: int = 0) -> SpreadFCD:
    """The Fréchet classifier distance of `images` to `reference` (both in [0, 1]), and its spread.

    The spread is estimated by half-sampling: the standard deviation of the distance over
    `num_halves` random halves of `images` (the reference kept whole), divided by sqrt(2), since a
    half has twice the variance of the whole. It needs no new samples, so it works for stored
    ones too; it agrees with the spread of real redraws of the DCGAN (tests/test_metrics_plot.py;
    for 8 redraws of 2,000 samples of the DCGAN and of the VAE it came out 20-30 % larger)."""
    features, reference_features = classifier.features(images), classifier.features(reference)
    generator = torch.Generator().manual_seed(seed)
    halves = [frechet_distance(features[torch.randperm(len(features), generator=generator)[:len(features) // 2]],
                               reference_features) for _ in range(num_halves)]
    return SpreadFCD(frechet_distance(features, reference_features),
                     torch.tensor(halves).std().item() / math.sqrt(2))


def fcd_gap_with_spread(images_a: torch.Tensor, images_b: torch.Tensor, reference: torch.Tensor,
                        classifier: DigitClassifier, num_halves: int = 50, seed: int = 0) -> SpreadFCD:
    """FCD(images_a) - FCD(images_b) for two *paired* sets (sample i of each drawn from the same start
    noise), and its spread by half-sampling the same halves of both: the pairing cancels the noise the
    two sets share, which `fcd_with_spread`'s unpaired spreads would count twice."""
    if images_a.shape != images_b.shape:
        raise ValueError(f"paired sets need one shape, got {tuple(images_a.shape)} and {tuple(images_b.shape)}")
    features_a, features_b = classifier.features(images_a), classifier.features(images_b)
    reference_features = classifier.features(reference)
    gap = lambda rows: (frechet_distance(features_a[rows], reference_features)  # noqa: E731
                        - frechet_distance(features_b[rows], reference_features))
    generator = torch.Generator().manual_seed(seed)
    halves = [gap(torch.randperm(len(features_a), generator=generator)[:len(features_a) // 2])
              for _ in range(num_halves)]
    return SpreadFCD(gap(torch.arange(len(features_a))), torch.tensor(halves).std().item() / math.sqrt(2))


def fcd_floor(x_real: torch.Tensor, reference: torch.Tensor, classifier: DigitClassifier,
              size: int = 2000) -> SpreadFCD:
    """The floor of the Fréchet classifier distance: the distance of `size` *real* digits to the
    reference digits, the best a model scored with `size` samples can expect. One set of real
    digits is one draw, and draws differ (on the shipped data the four disjoint sets of 2,000
    training digits score from 1.6 to 3.4), so the floor is the mean over all disjoint sets of
    `size` digits in x_real, and its spread the standard deviation of that mean."""
    num_sets = len(x_real) // size
    if num_sets < 2:
        raise ValueError(f"fcd_floor needs at least two disjoint sets of {size} real digits, got {len(x_real)}")
    reference_features = classifier.features(reference)
    values = torch.tensor([frechet_distance(classifier.features(x_real[i * size:(i + 1) * size]), reference_features)
                           for i in range(num_sets)])
    return SpreadFCD(values.mean().item(), values.std().item() / math.sqrt(num_sets))


def bootstrap_means(values: torch.Tensor, num_draws: int = 1000,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Means (num_draws,) of bootstrap resamples of `values` (N,), e.g. of per-digit NLL
    differences between two models on the same test digits (a paired comparison)."""
    picks = torch.randint(len(values), (num_draws, len(values)), generator=generator)
    return values.double()[picks].mean(1)


CONFIDENT = 0.9  # a sample counts as a readable digit when the classifier gives one class >= 0.9


@torch.no_grad()
def classifier_confidence(images: torch.Tensor, classifier: DigitClassifier,
                          batch_size: int = 1000) -> torch.Tensor:
    """The classifier's top class probability (N,) for images (N, 1, 28, 28) in [0, 1]."""
    classifier.eval()
    return torch.cat([classifier(part).softmax(1).max(1).values for part in images.split(batch_size)])


@torch.no_grad()
def classifier_labels(images: torch.Tensor, classifier: DigitClassifier, batch_size: int = 1000) -> torch.Tensor:
    """The classifier's label (N,) for images (N, 1, 28, 28) in [0, 1]."""
    classifier.eval()
    return torch.cat([classifier(part).argmax(1) for part in images.split(batch_size)])


@torch.no_grad()
def classifier_accuracy(images: torch.Tensor, labels: torch.Tensor, classifier: DigitClassifier,
                        batch_size: int = 1000) -> float:
    """Share of images (N, 1, 28, 28) in [0, 1] that the classifier labels as `labels` (N,)."""
    predicted = classifier_labels(images, classifier, batch_size)
    return (predicted == labels.to(predicted.device)).float().mean().item()


def confident_share(images: torch.Tensor, classifier: DigitClassifier,
                    threshold: float = CONFIDENT) -> float:
    """Share of images the classifier labels with top probability >= threshold: a rough but
    honest count of samples that read as a digit (real binarized test digits score about 0.9)."""
    return (classifier_confidence(images, classifier) >= threshold).float().mean().item()


def energy_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """The energy distance between two point clouds (N, D) and (M, D):
    2 E|a - b| - E|a - a'| - E|b - b'|, zero when they come from the same distribution
    (Székely & Rizzo 2013); computed over all pairs, fine for a few thousand points."""
    return (2 * torch.cdist(a, b).mean() - torch.cdist(a, a).mean() - torch.cdist(b, b).mean()).item()


def path_straightness(path: torch.Tensor) -> torch.Tensor:
    """How straight each point's path (steps + 1, N, D) is: its length over the distance from its
    start to its end, (N,); 1 for a straight line, more for a curved one."""
    length = (path[1:] - path[:-1]).norm(dim=-1).sum(0)
    return length / (path[-1] - path[0]).norm(dim=-1)


class Strokes(NamedTuple):
    """Three measures of how a digit is drawn, one number per image (N,) each."""

    ink: torch.Tensor  # mean grey level: how much ink
    width: torch.Tensor  # spread of the ink across the digit, in pixels, its slant taken out
    slant: torch.Tensor  # horizontal shift per row upwards (> 0: the top leans right)


def stroke_measures(images: torch.Tensor) -> Strokes:
    """Ink, width and slant of images (N, 1, H, W) in [0, 1], from the moments of their grey
    levels: slant = -cov(column, row) / var(row) (rows count downwards); width = the standard
    deviation of the column once each row is shifted back by its slant."""
    weights = images.flatten(1)  # (N, H*W)
    height, width = images.shape[-2:]
    row = torch.arange(height, dtype=weights.dtype, device=weights.device).repeat_interleave(width)
    col = torch.arange(width, dtype=weights.dtype, device=weights.device).repeat(height)
    mass = weights.sum(1).clamp_min(1e-8)  # (N,)
    mean = lambda values: (weights * values).sum(1) / mass  # ink-weighted mean over the pixels
    d_row, d_col = row - mean(row)[:, None], col - mean(col)[:, None]  # (N, H*W)
    slant = -mean(d_row * d_col) / mean(d_row ** 2).clamp_min(1e-8)
    return Strokes(weights.mean(1), mean((d_col + slant[:, None] * d_row) ** 2).sqrt(), slant)


def modes_covered(samples: torch.Tensor, centres: torch.Tensor, std: float = 0.05,
                  share: float = 0.02) -> int:
    """How many modes of a mixture of small Gaussians (centres (K, 2), standard deviation `std`)
    a set of samples (N, 2) covers: a mode counts when at least `share` of the samples lie within
    3 std of its centre. The measure of mode collapse in notebook 05."""
    distance, nearest = torch.cdist(samples, centres).min(1)
    counts = torch.bincount(nearest[distance < 3 * std], minlength=len(centres))
    return int((counts >= share * len(samples)).sum())


def real_digits_in_class_mix(images: torch.Tensor, classifier: DigitClassifier, x_real: torch.Tensor,
                             y_real: torch.Tensor) -> torch.Tensor:
    """Real digits in the class mix of `images` as the classifier reads them: for each class k
    the first n_k digits of x_real with label k, n_k the number of `images` read as k. It
    separates a generator's class mix from the shapes it draws."""
    counts = torch.bincount(classifier_labels(images, classifier), minlength=10)
    short = [k for k, n in enumerate(counts.tolist()) if n > (y_real == k).sum()]
    if short:
        raise ValueError(f"not enough real digits of class {short[0]} for this class mix")
    return torch.cat([x_real[y_real == k][:n] for k, n in enumerate(counts.tolist())])
