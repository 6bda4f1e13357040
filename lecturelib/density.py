"""Classic unsupervised learning in torch: k-means, PCA, Gaussian mixtures by EM, kernel density.

Taught in notebooks/01_unsupervised_learning.ipynb. Every function takes data as a (N, D) tensor
(flatten images first: digits are (N, 784)) and works on its device. References:

- k-means: S. P. Lloyd (1982), Least squares quantization in PCM, IEEE Trans. Inf. Theory 28(2);
  k-means++ seeding: D. Arthur, S. Vassilvitskii (2007), SODA.
- PCA: K. Pearson (1901); H. Hotelling (1933); C. M. Bishop (2006), PRML ch. 12.
- EM for Gaussian mixtures: A. P. Dempster, N. M. Laird, D. B. Rubin (1977), J. R. Stat. Soc. B
  39(1); Bishop (2006), PRML §9.2.
- Kernel density: M. Rosenblatt (1956); E. Parzen (1962), Ann. Math. Stat. 33(3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch

LOG_2PI = math.log(2 * math.pi)


# ---------------------------------------------------------------------------------------------
# k-means
# ---------------------------------------------------------------------------------------------

class KMeansResult(NamedTuple):
    centers: torch.Tensor  # (K, D)
    labels: torch.Tensor  # (N,) index of each point's nearest centre
    inertia: list[float]  # sum of squared distances to the nearest centre, after each iteration


def kmeans_plus_plus(x: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """k-means++ seeding (Arthur & Vassilvitskii 2007): each new centre is drawn with probability
    proportional to its squared distance from the centres chosen so far."""
    first = torch.randint(len(x), (1,), generator=generator).item()
    centers = [x[first]]
    nearest = ((x - x[first]) ** 2).sum(1)  # (N,)
    for _ in range(1, k):
        index = torch.multinomial(nearest / nearest.sum(), 1, generator=generator).item()
        centers.append(x[index])
        nearest = torch.minimum(nearest, ((x - x[index]) ** 2).sum(1))
    return torch.stack(centers)  # (K, D)


def kmeans(x: torch.Tensor, k: int, *, num_iters: int = 50, init: torch.Tensor | None = None,
           generator: torch.Generator | None = None) -> KMeansResult:
    """Lloyd's algorithm: alternate assigning points to their nearest centre and moving each centre
    to the mean of its points. Each step can only lower the inertia
        J = sum_n min_k ||x_n - mu_k||^2,
    so it stops at a local minimum (which one depends on the seeding: k-means++ unless `init`)."""
    if x.dim() != 2:
        raise ValueError(f"kmeans expects data of shape (N, D), got {tuple(x.shape)}")
    if not 1 <= k <= len(x):
        raise ValueError(f"k must be between 1 and the number of points {len(x)}, got {k}")
    centers = (init if init is not None else kmeans_plus_plus(x, k, generator)).clone()  # (K, D)
    inertia: list[float] = []
    for _ in range(num_iters):
        distances = torch.cdist(x, centers) ** 2  # (N, K)
        min_distance, labels = distances.min(1)
        inertia.append(min_distance.sum().item())
        counts = torch.bincount(labels, minlength=k)  # (K,)
        sums = torch.zeros_like(centers).index_add_(0, labels, x)  # (K, D)
        moved = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None], centers)
        if torch.equal(moved, centers):
            break  # converged: no centre moves, so no assignment will change
        centers = moved
    labels = (torch.cdist(x, centers) ** 2).argmin(1)
    return KMeansResult(centers, labels, inertia)


def cluster_purity(cluster: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of points whose label is the most common label of their cluster (1 = pure)."""
    table = torch.zeros(int(cluster.max()) + 1, int(labels.max()) + 1, dtype=torch.long)
    table.index_put_((cluster, labels), torch.ones_like(cluster), accumulate=True)
    return table.max(1).values.sum().item() / len(labels)


# ---------------------------------------------------------------------------------------------
# PCA
# ---------------------------------------------------------------------------------------------

@dataclass
class PCA:
    """Principal component analysis: the orthonormal directions of largest variance.

    The top-k eigenvectors of the covariance S = (1/N) sum_n (x_n - mean)(x_n - mean)^T span the
    k-dimensional subspace that keeps the most variance, equivalently the one whose projection
    loses the least squared reconstruction error (Pearson 1901; Bishop 2006 §12.1).
    """

    mean: torch.Tensor  # (D,)
    components: torch.Tensor  # (K, D), orthonormal rows, by decreasing variance
    explained_variance: torch.Tensor  # (K,) eigenvalues of the covariance
    total_variance: float  # trace of the covariance: the variance of all D directions

    @classmethod
    def fit(cls, x: torch.Tensor, num_components: int | None = None) -> "PCA":
        if x.dim() != 2:
            raise ValueError(f"PCA expects data of shape (N, D), got {tuple(x.shape)}")
        k = num_components or x.shape[1]
        if not 1 <= k <= x.shape[1]:
            raise ValueError(f"num_components must be between 1 and D={x.shape[1]}, got {k}")
        mean = x.mean(0)  # (D,)
        centered = (x - mean).double()  # float64: small eigenvalues stay accurate
        covariance = centered.T @ centered / len(x)  # (D, D)
        eigenvalues, eigenvectors = torch.linalg.eigh(covariance)  # ascending order
        order = eigenvalues.flip(0)[:k]
        components = eigenvectors.flip(1)[:, :k].T  # (K, D)
        # Fix each direction's sign (largest entry positive) so results are reproducible.
        signs = torch.sign(components.gather(1, components.abs().argmax(1, keepdim=True)))
        return cls(mean, (components * signs).to(x.dtype), order.clamp_min(0).to(x.dtype),
                   covariance.trace().item())

    @property
    def explained_variance_ratio(self) -> torch.Tensor:
        return self.explained_variance / self.total_variance  # (K,)

    def project(self, x: torch.Tensor, k: int | None = None) -> torch.Tensor:
        """Coordinates of x in the top-k directions: (N, D) -> (N, k)."""
        return (x - self.mean) @ self.components[:k].T

    def reconstruct(self, codes: torch.Tensor) -> torch.Tensor:
        """Back from k coordinates to data space: (N, k) -> (N, D)."""
        return codes @ self.components[:codes.shape[1]] + self.mean


# ---------------------------------------------------------------------------------------------
# Gaussian mixture fitted by EM
# ---------------------------------------------------------------------------------------------

@dataclass
class GaussianMixture:
    """p(x) = sum_k pi_k N(x; mu_k, Sigma_k) with full covariances: an explicit density that we
    can both evaluate (log_prob) and sample (sample). Fitted by EM (Dempster et al. 1977)."""

    weights: torch.Tensor  # (K,) mixing proportions pi_k, summing to 1
    means: torch.Tensor  # (K, D)
    covariances: torch.Tensor  # (K, D, D)

    def component_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log pi_k + log N(x_n; mu_k, Sigma_k) for every point and component: (N, D) -> (N, K)."""
        cholesky = torch.linalg.cholesky(self.covariances)  # (K, D, D), Sigma = L L^T
        eye = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
        whiten = torch.linalg.solve_triangular(cholesky, eye, upper=False)  # (K, D, D) = L^-1
        diff = x[:, None, :] - self.means[None]  # (N, K, D)
        solved = torch.einsum("kij,nkj->nki", whiten, diff)  # (N, K, D) = L^-1 (x - mu)
        mahalanobis = (solved ** 2).sum(-1)  # (N, K) = (x - mu)^T Sigma^-1 (x - mu)
        log_det = 2 * torch.diagonal(cholesky, dim1=-2, dim2=-1).log().sum(-1)  # (K,)
        d = x.shape[1]
        return self.weights.log() - 0.5 * (d * LOG_2PI + log_det + mahalanobis)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) per point: (N, D) -> (N,), summed over components with logsumexp."""
        return torch.logsumexp(self.component_log_prob(x), dim=1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Ancestral sampling: pick a component k ~ pi, then x ~ N(mu_k, Sigma_k). -> (n, D)"""
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)  # (n,)
        noise = torch.randn(n, self.means.shape[1], 1, generator=generator,
                            dtype=self.means.dtype).to(self.means.device)
        return self.means[k] + (torch.linalg.cholesky(self.covariances)[k] @ noise).squeeze(-1)


def e_step(mixture: GaussianMixture, x: torch.Tensor) -> torch.Tensor:
    """Responsibilities r_nk = p(component k | x_n), by Bayes' rule: (N, D) -> (N, K)."""
    return torch.softmax(mixture.component_log_prob(x), dim=1)


def m_step(x: torch.Tensor, responsibilities: torch.Tensor, reg: float = 1e-6) -> GaussianMixture:
    """Maximise the expected complete-data log-likelihood given responsibilities (N, K):
    weighted counts, means and covariances. `reg` is added to each covariance's diagonal so a
    component that collapses onto one point keeps a finite density."""
    counts = responsibilities.sum(0)  # (K,) effective number of points per component
    means = responsibilities.T @ x / counts[:, None]  # (K, D)
    diff = x[None] - means[:, None]  # (K, N, D)
    covariances = torch.einsum("nk,kni,knj->kij", responsibilities, diff, diff) / counts[:, None, None]
    covariances = covariances + reg * torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    return GaussianMixture(counts / len(x), means, covariances)


def fit_gaussian_mixture(x: torch.Tensor, num_components: int, *, num_iters: int = 100,
                         tol: float = 1e-6, reg: float = 1e-6,
                         generator: torch.Generator | None = None) -> tuple[GaussianMixture, list[float]]:
    """EM for a Gaussian mixture, started from k-means++ centres with shared data covariance.

    Returns the mixture and the mean log-likelihood per point of the data under the mixture at the
    start of each iteration; EM guarantees this sequence never decreases (Bishop 2006 §9.4). Stops
    when it rises by less than tol, returning the mixture scored last; otherwise returns the
    mixture after the final M-step.
    """
    if x.dim() != 2:
        raise ValueError(f"expected data of shape (N, D), got {tuple(x.shape)}")
    if not 1 <= num_components <= len(x):
        raise ValueError(f"num_components must be between 1 and N={len(x)}, got {num_components}")
    centered = x - x.mean(0)
    shared = centered.T @ centered / len(x) + reg * torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    mixture = GaussianMixture(
        torch.full((num_components,), 1 / num_components, dtype=x.dtype, device=x.device),
        kmeans_plus_plus(x, num_components, generator),
        shared.expand(num_components, -1, -1).clone())
    history: list[float] = []
    for _ in range(num_iters):
        log_joint = mixture.component_log_prob(x)  # (N, K), shared by the E-step and the score
        history.append(torch.logsumexp(log_joint, 1).mean().item())
        if len(history) > 1 and history[-1] - history[-2] < tol:
            break
        mixture = m_step(x, torch.softmax(log_joint, 1), reg)  # E-step: softmax = e_step()
    return mixture, history


# ---------------------------------------------------------------------------------------------
# Kernel density estimation
# ---------------------------------------------------------------------------------------------

def kde_log_prob(query: torch.Tensor, data: torch.Tensor, bandwidth: float, *,
                 chunk_elements: int = 1 << 22) -> torch.Tensor:
    """Gaussian kernel density estimate (Rosenblatt 1956; Parzen 1962):
        p(x) = (1/N) sum_n N(x; x_n, h^2 I).
    query (M, D) or (M,), data (N, D) or (N,) -> log p at each query point (M,). Queries are
    processed in chunks of about `chunk_elements` distances, so memory stays small."""
    if bandwidth <= 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth}")
    query = query[:, None] if query.dim() == 1 else query  # (M, D)
    data = data[:, None] if data.dim() == 1 else data  # (N, D)
    d = data.shape[1]
    log_norm = 0.5 * d * (LOG_2PI + 2 * math.log(bandwidth)) + math.log(len(data))
    chunks = []
    for part in query.split(max(1, chunk_elements // len(data))):  # bound memory to (chunk, N)
        squared = torch.cdist(part, data, compute_mode="donot_use_mm_for_euclid_dist") ** 2  # exact
        chunks.append(torch.logsumexp(-0.5 * squared / bandwidth ** 2, dim=1) - log_norm)
    return torch.cat(chunks)


def histogram_log_prob(query: torch.Tensor, data: torch.Tensor, bins: int,
                       low: float, high: float) -> torch.Tensor:
    """1-D histogram density on [low, high): count / (N * bin width); log 0 = -inf outside the
    data's bins, which is why a held-out point in an empty bin gets log-likelihood -inf."""
    width = (high - low) / bins
    counts = torch.histc(data, bins=bins, min=low, max=high)  # (bins,)
    index = ((query - low) / width).floor().long()
    inside = (index >= 0) & (index < bins)
    density = torch.zeros_like(query)
    density[inside] = counts[index[inside]] / (len(data) * width)
    return density.log()
