"""The one likelihood scale of grey digits: bits/dim on the 2,000 8-bit test digits, the same way
for every explicit model of the course that has one (notebooks 07 and 08).

- independent pixels, a 256-way histogram each (`models.baselines.IndependentGreyLevels`), fitted now;
- the 256-way PixelCNN (`grey_pixelcnn`): exact log P(x);
- the flow (`flow`): the uniform-dequantization bound (one seeded draw of u per digit);
- the diffusion model (`diffusion`): Ho et al.'s variational bound, with the standard error of its
  sampled steps.

A checkpoint's per-digit values were computed by its recipe when it was made and stored beside it
(tests/test_pretrained.py recomputes a slice). The spread of a mean is its bootstrap standard
deviation over the test digits; a gap between two models is a paired bootstrap on the same digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..checkpoints import load_log_likelihoods, read_manifest
from ..data import load_digits
from ..metrics import bits_per_dim, bootstrap_means
from ..models.baselines import IndependentGreyLevels

GREY_MODELS = {  # source -> (label, what log P(x) it gives)
    "independent": ("independent pixels, 256-way", "exact"),
    "grey_pixelcnn": ("PixelCNN, 256-way softmax", "exact"),
    "flow": ("RealNVP flow", "bound (dequantized)"),
    "diffusion": ("diffusion model", "bound (ELBO)"),
}
PUBLISHED = {  # bits/dim on 8-bit MNIST in the literature: 60,000 digits, hours on GPUs
    "grey_pixelcnn": "0.81 (UvA DL tutorial 12)",
    "flow": "1.05 (Glow); 1.0-1.1 (UvA DL tutorial 11)",
}


@dataclass(frozen=True)
class GreyRow:
    source: str
    label: str
    kind: str
    bits: float  # bits/dim on the 8-bit test digits (of the bound, for a bound)
    spread: float  # bootstrap standard deviation of that mean over the test digits
    sampling_sd: float | None  # the diffusion bound's sampled steps: the standard error of the mean
    train_seconds: float | None


def grey_log_likelihoods() -> dict[str, torch.Tensor]:
    """Per 8-bit test digit (2,000,), nats: every model of GREY_MODELS; the stored values of each
    checkpoint, the independent pixels' computed now."""
    x_train, x_test = load_digits("train").x, load_digits("test").x
    values = {"independent": IndependentGreyLevels(x_train).log_prob(x_test)}
    for source in list(GREY_MODELS)[1:]:
        stored = load_log_likelihoods(source)
        values[source] = stored["exact"] if "exact" in stored else stored["bound"]
    return values


def bits_spread(log_likelihoods: torch.Tensor, seed: int = 0) -> float:
    """The bootstrap standard deviation, in bits/dim, of the mean NLL of per-digit values."""
    return bits_per_dim(bootstrap_means(-log_likelihoods, generator=torch.Generator().manual_seed(seed)).std().item())


def grey_rows(values: dict[str, torch.Tensor]) -> list[GreyRow]:
    """One row per model of `values` (from `grey_log_likelihoods`), best (lowest bits/dim) first."""
    manifest = read_manifest()
    rows = []
    for source, v in values.items():
        label, kind = GREY_MODELS[source]
        entry = manifest.get(source, {})
        t_sd = entry.get("metric", {}).get("test_bits_per_dim_8bit_t_sd")
        rows.append(GreyRow(source, label, kind, bits_per_dim(-v.mean().item()), bits_spread(v), t_sd,
                            entry.get("train_seconds")))
    return sorted(rows, key=lambda row: row.bits)


def paired_gap(a: torch.Tensor, b: torch.Tensor, seed: int = 0) -> tuple[float, float]:
    """bits/dim of model a minus model b on the same test digits, and its paired bootstrap spread."""
    gaps = bootstrap_means(b - a, generator=torch.Generator().manual_seed(seed))  # NLL_a - NLL_b per digit
    return bits_per_dim((b - a).mean().item()), bits_per_dim(gaps.std().item())


def format_grey_table(rows: list[GreyRow]) -> str:
    """The rows as a text table: bits/dim with its bootstrap spread (and, for the diffusion bound,
    the standard error of its sampled steps), the training time, the published figure."""
    lines = [f"{'model':28s} {'log P(x)':20s} {'bits/dim':>8s} {'± sd':>6s} {'± t':>6s} {'trained':>8s}  "
             "published (60k digits, GPUs)"]
    for row in rows:
        t_sd = f"{row.sampling_sd:.3f}" if row.sampling_sd else "-"
        trained = f"{row.train_seconds / 60:.0f} min" if row.train_seconds else "now"
        lines.append(f"{row.label:28s} {row.kind:20s} {row.bits:8.3f} {row.spread:6.3f} {t_sd:>6s} {trained:>8s}  "
                     f"{PUBLISHED.get(row.source, '-')}")
    return "\n".join(lines)
