"""The course's data: real MNIST digits shipped in `data/digits/`, binarization, batch loading.

    x, y = load_digits("train")            # x: (N, 1, 28, 28) float in [0, 1], y: (N,) int64
    x_bin = binarize_static(x, seed=0)     # the same {0, 1} digits on every run
    loader = TensorLoader(x, y, batch_size=128, shuffle=True, generator=g)

The shipped set is 8,000 train / 2,000 test digits (see data/digits/README.md for provenance, licence
and checksums). It is the default everywhere; `source="torchvision"` switches to the full 70,000
MNIST digits for those with internet access. Everything lives in memory as tensors: slicing a
tensor per batch is many times faster than a per-image Dataset with PIL transforms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import torch

from .files import (DATA_ENV, IMAGE_SIDE, REBUILD_HINT, DataError, data_dir,  # noqa: F401 (re-exported)
                    read_shipped, read_torchvision)

SPLITS = ("train", "test")
SOURCES = ("shipped", "torchvision")


class Labeled(NamedTuple):
    """Examples `x` with labels `y` (N,); for digits x is (N, 1, 28, 28) float32 in [0, 1]."""

    x: torch.Tensor
    y: torch.Tensor


def load_digits(split: str = "train", *, source: str = "shipped", root: str | Path | None = None,
                download: bool = False) -> Labeled:
    """Load one split of the digits as in-memory tensors.

    Args:
        split: "train" (8,000 shipped digits) or "test" (2,000).
        source: "shipped" (default, offline, checksummed) or "torchvision" (the full 60k/10k MNIST
            through torchvision.datasets.MNIST; needs `download=True` and internet the first time).
        root: folder holding the data; default data/ (shipped) or data/torchvision/.
        download: only for source="torchvision".
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if source == "shipped":
        if download:
            raise ValueError("download=True is only for source='torchvision'; the shipped "
                             "digits are already in data/digits/")
        images, labels = read_shipped(split, Path(root) if root else data_dir())
    else:
        images, labels = read_torchvision(split, Path(root) if root else data_dir() / "torchvision",
                                           download)
    # (N, 28, 28) uint8 -> (N, 1, 28, 28) float32 in [0, 1]; a fresh tensor on every call,
    # so changing it in place never changes what the next caller gets.
    x = images.unsqueeze(1).float().div_(255)
    return Labeled(x, labels.long())





def binarize_static(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Sample each pixel once as Bernoulli(grey level) with a fixed seed: the same {0,1} digits
    on every run and machine. Likelihoods (NLL, bits/dim) are reported on these."""
    generator = torch.Generator().manual_seed(seed)
    return torch.bernoulli(x.cpu(), generator=generator).to(x.device)


TEST_BINARIZATION_SEED = 0  # every likelihood in the course is reported on this binarization


def load_binarized_test(root: str | Path | None = None) -> Labeled:
    """The test split, statically binarized with TEST_BINARIZATION_SEED: the set on which every
    notebook reports NLL, ELBO and bits/dim, so numbers compare like with like."""
    x, y = load_digits("test", root=root)
    return Labeled(binarize_static(x, seed=TEST_BINARIZATION_SEED), y)


def binarize_dynamic(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Sample fresh {0,1} pixels on every call: a new binarization per batch during training,
    which acts as data augmentation and reduces overfitting."""
    return torch.bernoulli(x, generator=generator)


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Move each image (B, C, H, W) by its own random whole number of pixels, up to `max_shift`
    in each direction, filling with 0: augmentation that keeps a digit a digit."""
    if max_shift < 1:
        return x
    offsets = torch.randint(-max_shift, max_shift + 1, (len(x), 2), generator=generator)
    padded = torch.nn.functional.pad(x, (max_shift,) * 4)
    out = torch.empty_like(x)
    height, width = x.shape[-2:]
    for dy, dx in offsets.unique(dim=0).tolist():  # at most (2 max_shift + 1)^2 groups
        chosen = ((offsets[:, 0] == dy) & (offsets[:, 1] == dx)).nonzero().flatten()
        top, left = max_shift - dy, max_shift - dx
        out[chosen] = padded[chosen, :, top:top + height, left:left + width]
    return out


class TensorLoader:
    """Batches of in-memory tensors, sliced along the first dimension.

    Args:
        *tensors: tensors with the same first dimension, e.g. `x, y`.
        batch_size: batch size B; the last batch may be smaller unless drop_last.
        shuffle: draw a new order every epoch from `generator`.
        generator: a torch.Generator for the order (seeded => reproducible epochs).
        transform: applied to the first tensor of each batch, e.g. `binarize_dynamic`.
        drop_last: drop the final incomplete batch.
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int = 128, shuffle: bool = False,
                 generator: torch.Generator | None = None,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 drop_last: bool = False):
        if not tensors:
            raise ValueError("TensorLoader needs at least one tensor")
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError("all tensors must have the same first dimension, got "
                             + ", ".join(str(tuple(t.shape)) for t in tensors))
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.transform = transform
        self.drop_last = drop_last

    def __len__(self) -> int:
        n = self.tensors[0].shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n = self.tensors[0].shape[0]
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.tensors[0].device)
        for i in range(len(self)):
            if self.shuffle:
                index = order[i * self.batch_size:(i + 1) * self.batch_size]
                batch = [t[index] for t in self.tensors]
            else:
                batch = [t[i * self.batch_size:(i + 1) * self.batch_size] for t in self.tensors]
            if self.transform is not None:
                batch[0] = self.transform(batch[0])
            yield tuple(batch)

    def forever(self) -> Iterator[tuple[torch.Tensor, ...]]:
        """Batches epoch after epoch, without end (a new order each epoch when shuffling): for
        loops that count steps, not epochs, such as `train.fit_gan`."""
        if len(self) == 0:  # else an endless loop that never yields
            raise ValueError(f"forever() needs at least one batch, and this loader has none ({len(self.tensors[0])} "
                             f"examples, batch_size={self.batch_size}, drop_last={self.drop_last}): give it data")
        while True:
            yield from self


def few_labels(x: torch.Tensor, y: torch.Tensor, per_class: int, seed: int = 0) -> Labeled:
    """A class-balanced random draw of `per_class` examples of each class: the small labelled set
    of a semi-supervised experiment, different for each seed."""
    generator = torch.Generator().manual_seed(seed)
    index = torch.cat([torch.nonzero(y == c).flatten()[torch.randperm(int((y == c).sum()), generator=generator)[:per_class]]
                       for c in y.unique().tolist()])
    return Labeled(x[index], y[index])


# ---------------------------------------------------------------------------------------------
# Toy distributions with known structure, for pictures where digits are too big to see
# ---------------------------------------------------------------------------------------------

# A 1-D mixture of three Gaussians: (weight, mean, standard deviation) per component.
TOY_1D_COMPONENTS = ((0.35, -2.0, 0.6), (0.45, 1.0, 0.5), (0.20, 3.0, 0.3))


def sample_toy_1d(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """n draws from the 1-D toy mixture, shape (n,). Its true density is toy_1d_log_prob."""
    weights, means, stds = (torch.tensor(v) for v in zip(*TOY_1D_COMPONENTS))
    k = torch.multinomial(weights, n, replacement=True, generator=generator)  # (n,)
    return means[k] + stds[k] * torch.randn(n, generator=generator)


def toy_1d_log_prob(x: torch.Tensor) -> torch.Tensor:
    """The true log-density of the 1-D toy mixture at x (any shape)."""
    weights, means, stds = (torch.tensor(v, dtype=x.dtype) for v in zip(*TOY_1D_COMPONENTS))
    components = torch.distributions.Normal(means, stds).log_prob(x[..., None])  # (..., 3)
    return torch.logsumexp(components + weights.log(), dim=-1)


def sample_moons(n: int, noise: float = 0.1, generator: torch.Generator | None = None) -> Labeled:
    """Two interleaved half circles in 2-D with Gaussian noise: points x (n, 2) and the moon each
    came from, y (n,) in {0, 1} (a label that unsupervised methods do not get to see)."""
    y = (torch.rand(n, generator=generator) < 0.5).long()  # which moon
    angle = torch.pi * torch.rand(n, generator=generator)
    first, second = torch.cos(angle), torch.sin(angle)
    x = torch.stack([torch.where(y == 0, first, 1 - first),
                     torch.where(y == 0, second, 0.5 - second)], 1)  # (n, 2)
    return Labeled(x + noise * torch.randn(n, 2, generator=generator), y)


def ring_centres(num_modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The centres of the ring's Gaussians, (num_modes, 2), counter-clockwise from (radius, 0)."""
    angle = 2 * torch.pi * torch.arange(num_modes) / num_modes
    return radius * torch.stack([torch.cos(angle), torch.sin(angle)], 1)


BLOB_CENTRES = ((-2.0, 0.0), (2.0, 0.0))  # the two blobs of notebook 06's 2-D toy


def sample_blobs(n: int, generator: torch.Generator | None = None, std: float = 0.1) -> torch.Tensor:
    """Two small Gaussian blobs at BLOB_CENTRES, the right one twice as likely: (n, 2). The toy
    on which notebook 06 trains small diffusion and flow-matching networks in seconds."""
    right = torch.rand(n, generator=generator) < 2 / 3
    centres = torch.tensor(BLOB_CENTRES)[right.long()]  # (n, 2)
    return centres + std * torch.randn(n, 2, generator=generator)


def sample_ring(n: int, num_modes: int = 8, radius: float = 2.0, std: float = 0.05,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """A ring of `num_modes` small Gaussians (the classic GAN mode-collapse toy), shape (n, 2)."""
    mode = torch.randint(num_modes, (n,), generator=generator)
    centres = ring_centres(num_modes, radius)[mode]  # (n, 2)
    return centres + std * torch.randn(n, 2, generator=generator)
