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

@dataclass
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
