"""Measures of generative models that the notebooks report.

Likelihoods in the course are in nats per image (natural log, summed over the 784 pixels of a
digit), the unit of the papers on binarized MNIST. Bits per dimension divides by the number of
pixels and by ln 2, which makes images of different sizes comparable:

    bits/dim = NLL_nats / (D ln 2),  D = C * H * W
"""

from __future__ import annotations

import math

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
