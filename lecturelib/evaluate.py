"""The course's models side by side: one table, measured from the shipped checkpoints.

    python -m lecturelib.evaluate                   # print the table (about a minute on 2 cores)
    python -m lecturelib.evaluate --json out.json   # ... and write it as JSON
    python -m lecturelib.evaluate --draw-samples    # re-draw the stored pixel-model samples (~12 min)

Notebook 06 builds the same table with the same functions. Its columns:
- likelihood: what log p(x) the model gives: exact (chain rule), bound (ELBO), estimate
  (IWAE-k), none (GAN);
- test NLL in nats per digit and bits/dim, on the statically binarized test split, by each
  recipe's own `evaluate` (so the numbers are those of notebooks 03 and 04 and of the manifest);
- FCD: the Fréchet classifier distance of FCD_SAMPLES samples to the test digits, next to its
  floor (FCD_SAMPLES real training digits vs the same test digits). Each model is compared in the
  form it was trained on: grey digits for the GANs and the mixture, binarized digits (static,
  seed 0) for the Bernoulli models, whose samples are coins. Compare models by FCD / floor;
- seconds to draw 64 digits, measured now on this machine;
- parameters (all trained ones, encoder and discriminator included) and the training time
  recorded in the manifest.

Drawing 2,000 digits pixel by pixel costs minutes (the PixelCNN about 4 on 2 cores), longer than
a notebook may take. Those samples are drawn once, by `--draw-samples`, into data/samples/NAME.pt,
in chunks of SAMPLE_CHUNK digits seeded 0, 1, 2, ...: the first chunk is exactly the 64 digits
that the timing column draws live, which shows that the stored ones come from the shipped
checkpoint (`check_stored_samples`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from .checkpoints import read_manifest
from .data import binarize_static, data_dir, load_binarized_test, load_digits
from .density import PCA, fit_gaussian_mixture
from .metrics import DigitClassifier, bits_per_dim, frechet_classifier_distance
from .models.gan import DCGAN
from .models.vae import VAE
from .recipes import FCD_SAMPLES, evaluate_dcgan, get_recipe, load_pretrained

SAMPLE_CHUNK = 64  # digits per seeded chunk; the timing column draws chunk 0
STORED = ("row_lstm", "pixelcnn", "gated_pixelcnn")  # too slow to sample 2,000 digits live


class SamplesError(RuntimeError):
    """Stored samples are missing, unreadable or drawn from another checkpoint."""


# ---------------------------------------------------------------------------------------------
# Two baselines without a checkpoint: they fit in a second
# ---------------------------------------------------------------------------------------------

class IndependentPixels(nn.Module):
    """p(x) = prod_i Bernoulli(x_i; p_i), p_i the mean grey level of pixel i (notebooks 00, 03):
    no pixel knows any other. An exact likelihood, and the floor any real model must beat."""

    def __init__(self, x_train: torch.Tensor):
        super().__init__()
        self.p = nn.Parameter(x_train.mean(0).clamp(1e-3, 1 - 1e-3), requires_grad=False)  # (1, 28, 28)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) in nats per digit (B,) of binarized digits (B, 1, 28, 28)."""
        return (x * self.p.log() + (1 - x) * (1 - self.p).log()).flatten(1).sum(1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.bernoulli(self.p.expand(n, -1, -1, -1), generator=generator)


class PCAMixture(nn.Module):
    """Notebook 01's crude generative model: a Gaussian mixture fitted by EM to the first
    `num_codes` PCA coordinates of the grey digits; a sample is decoded back to pixels.
    Its density is over the codes (continuous), so it has no NLL on binarized digits."""

    def __init__(self, x_train: torch.Tensor, num_codes: int = 30, num_components: int = 10, seed: int = 0):
        super().__init__()
        flat = x_train.flatten(1)
        self.pca = PCA.fit(flat, num_codes)
        self.num_codes = num_codes
        self.mixture, _ = fit_gaussian_mixture(self.pca.project(flat, num_codes), num_components,
                                               num_iters=100, generator=torch.Generator().manual_seed(seed))

    def num_parameters(self) -> int:
        """Free numbers: PCA mean and directions, mixture weights (K - 1), means, covariances."""
        k, d = self.mixture.means.shape
        return self.pca.mean.numel() + self.num_codes * self.pca.mean.numel() + (k - 1) + k * d + k * d * (d + 1) // 2

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        codes = self.mixture.sample(n, generator=generator)  # (n, num_codes)
        return self.pca.reconstruct(codes).clamp(0, 1).reshape(n, 1, 28, 28)


# ---------------------------------------------------------------------------------------------
# The contenders: one row each
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Contender:
    label: str
    source: str  # checkpoint name, or "pca_mixture" / "independent_pixels"
    notebook: str  # where the course builds it
    likelihood: str  # exact / bound / estimate / none
    binary: bool  # samples are {0, 1} coins, compared with binarized digits
    nll_key: str | None = None  # which metric of the source is its test NLL


CONTENDERS: tuple[Contender, ...] = (
    Contender("PixelRNN (Row LSTM)", "row_lstm", "03_pixelrnn_pixelcnn", "exact", True, "test_nll"),
    Contender("PixelCNN", "pixelcnn", "03_pixelrnn_pixelcnn", "exact", True, "test_nll"),
    Contender("gated PixelCNN", "gated_pixelcnn", "03_pixelrnn_pixelcnn", "exact", True, "test_nll"),
    Contender("VAE, ELBO", "vae", "04_variational_autoencoders", "bound", True, "test_neg_elbo"),
    Contender("VAE, IWAE-100", "vae", "04_variational_autoencoders", "estimate", True, "test_nll_iwae100"),
    Contender("DCGAN", "dcgan", "05_gans", "none", False),
    Contender("conditional GAN", "cgan", "05_gans", "none", False),
    Contender("Gaussian mixture on 30 PCA codes", "pca_mixture", "01_unsupervised_learning", "exact, of the codes", False),
    Contender("independent pixels", "independent_pixels", "03_pixelrnn_pixelcnn", "exact", True, "test_nll"),
)


@dataclasses.dataclass
class Row:
    """One line of the table; None where a column does not apply."""

    label: str
    notebook: str
    likelihood: str
    test_nll: float | None
    bits_per_dim: float | None
    fcd: float
    fcd_floor: float
    seconds_64: float
    parameters: int
    train_seconds: float | None

    @property
    def fcd_ratio(self) -> float:
        return self.fcd / self.fcd_floor


def load_models() -> tuple[dict[str, nn.Module], dict[str, float | None]]:
    """Every contender's model by source, and its training seconds (the manifest's for the
    checkpoints, measured now for the two baselines)."""
    manifest = read_manifest()
    x_train, _ = load_digits("train")
    models: dict[str, nn.Module] = {}
    train_seconds: dict[str, float | None] = {}
    for source in dict.fromkeys(c.source for c in CONTENDERS):
        start = time.perf_counter()
        if source == "pca_mixture":
            models[source] = PCAMixture(x_train)
        elif source == "independent_pixels":
            models[source] = IndependentPixels(x_train)
        else:
            models[source] = load_pretrained(source)
            train_seconds[source] = manifest[source].get("train_seconds")
            continue
        train_seconds[source] = time.perf_counter() - start
    return models, train_seconds


def num_parameters(model: nn.Module) -> int:
    if isinstance(model, PCAMixture):
        return model.num_parameters()
    return sum(p.numel() for p in model.parameters())


def likelihoods(models: dict[str, nn.Module]) -> dict[str, dict[str, float]]:
    """Test metrics of the models that have a likelihood: a checkpoint's own recipe evaluate()
    (the numbers of its manifest entry), the exact NLL of the independent pixels."""
    with_nll = {c.source for c in CONTENDERS if c.nll_key}
    results = {}
    for source, model in models.items():
        if source not in with_nll:
            continue
        if isinstance(model, IndependentPixels):
            nll = -model.log_prob(load_binarized_test().x).mean().item()
            results[source] = {"test_nll": nll, "test_bits_per_dim": bits_per_dim(nll)}
        else:
            results[source] = get_recipe(source).evaluate(model)
    return results


# ---------------------------------------------------------------------------------------------
# Samples: drawn in seeded chunks, timed, stored for the slow ones
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def draw(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """n digits (n, 1, 28, 28) in [0, 1] as the model makes them: coins for the VAE (one
    Bernoulli draw per pixel), digits 0-9 in turn for the conditional GAN."""
    if isinstance(model, VAE):
        return model.sample(n, generator=generator, binary=True)
    if isinstance(model, DCGAN) and model.config.num_classes:
        return model.sample(n, generator=generator, labels=torch.arange(n) % model.config.num_classes)
    return model.sample(n, generator=generator)


def draw_chunks(model: nn.Module, n: int, chunk: int = SAMPLE_CHUNK, progress: bool = False) -> torch.Tensor:
    """n digits, drawn `chunk` at a time with the generators seeded 0, 1, 2, ...; the first
    chunk equals draw(model, chunk, torch.Generator().manual_seed(0))."""
    from tqdm.auto import tqdm

    starts = range(0, n, chunk)
    parts = [draw(model, min(chunk, n - start), torch.Generator().manual_seed(i))
             for i, start in enumerate(tqdm(starts, desc="sampling", unit="chunk", disable=not progress))]
    return torch.cat(parts)


def time_sampling(models: dict[str, nn.Module], n: int = SAMPLE_CHUNK) -> dict[str, tuple[float, torch.Tensor]]:
    """Seconds to draw n digits (chunk 0, seed 0) from each model, and the digits."""
    results = {}
    for source, model in models.items():
        start = time.perf_counter()
        samples = draw(model, n, torch.Generator().manual_seed(0))
        results[source] = (time.perf_counter() - start, samples)
    return results


def pack_bits(x: torch.Tensor) -> torch.Tensor:
    """{0, 1} images (N, 1, 28, 28) -> (N, 98) bytes, 8 pixels per byte."""
    bits = x.reshape(len(x), -1, 8).to(torch.uint8)
    return (bits << torch.arange(7, -1, -1, dtype=torch.uint8)).sum(-1, dtype=torch.uint8)


def unpack_bits(packed: torch.Tensor, shape: Sequence[int] = (1, 28, 28)) -> torch.Tensor:
    """The inverse of pack_bits: (N, 98) bytes -> float images (N, *shape) in {0, 1}."""
    bits = (packed[..., None] >> torch.arange(7, -1, -1, dtype=torch.uint8)) & 1
    return bits.reshape(len(packed), *shape).float()


def samples_path(source: str) -> Path:
    return data_dir() / "samples" / f"{source}.pt"


def store_samples(source: str, n: int = FCD_SAMPLES, progress: bool = True) -> Path:
    """Draw n digits from checkpoint `source` in seeded chunks and write data/samples/SOURCE.pt
    with the checkpoint's sha256, so a changed checkpoint is noticed."""
    model = load_pretrained(source)
    start = time.perf_counter()
    samples = draw_chunks(model, n, progress=progress)
    seconds = time.perf_counter() - start
    path = samples_path(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": 1, "source": source, "checkpoint_sha256": read_manifest()[source]["sha256"],
                "chunk": SAMPLE_CHUNK, "seconds": round(seconds, 1), "torch": torch.__version__.split("+")[0],
                "bits": pack_bits(samples)}, path)
    return path


def load_samples(source: str) -> torch.Tensor:
    """The stored digits of `source` (N, 1, 28, 28), checked against its current checkpoint."""
    path = samples_path(source)
    remedy = (f"Restore it with `git checkout -- data/samples/{path.name}`, or draw it again with "
              f"`python -m lecturelib.evaluate --draw-samples {source}` (minutes).")
    if not path.is_file():
        raise SamplesError(f"No stored samples for {source!r} at {path}. {remedy}")
    try:
        payload = torch.load(path, weights_only=True)
        packed, sha = payload["bits"], payload["checkpoint_sha256"]
    except Exception as err:  # any unreadable file means the same to a student
        raise SamplesError(f"{path} could not be read ({type(err).__name__}: {str(err)[:200]}). {remedy}") from None
    if sha != read_manifest()[source]["sha256"]:
        raise SamplesError(f"{path} was drawn from another version of checkpoint {source!r}. {remedy}")
    return unpack_bits(packed)


def check_stored_samples(source: str, first_chunk: torch.Tensor) -> None:
    """The stored digits must begin with the chunk drawn live (seed 0), digit for digit."""
    stored = load_samples(source)[:len(first_chunk)]
    if not torch.equal(stored, first_chunk):
        differ = (stored != first_chunk).flatten(1).any(1).sum().item()
        raise SamplesError(f"The stored samples of {source!r} do not start with the digits drawn now "
                           f"with seed 0 ({differ} of {len(first_chunk)} differ). Draw them again with "
                           f"`python -m lecturelib.evaluate --draw-samples {source}`.")


# ---------------------------------------------------------------------------------------------
# Fréchet classifier distance of every model, each against its own kind of digits
# ---------------------------------------------------------------------------------------------

def frechet_distances(models: dict[str, nn.Module], classifier: DigitClassifier,
                      first_chunks: dict[str, torch.Tensor] | None = None) -> dict[str, tuple[float, float]]:
    """(FCD, floor) per source. GANs: their recipe's evaluate_dcgan (the numbers of notebook 05
    and the manifest). Others: FCD_SAMPLES digits in seeded chunks (stored ones for the pixel
    models, checked against `first_chunks` when given) against grey or binarized test digits."""
    x_train, _ = load_digits("train")
    x_test, _ = load_digits("test")
    x_test_binary, _ = load_binarized_test()
    binary_floor = frechet_classifier_distance(binarize_static(x_train[:FCD_SAMPLES]), x_test_binary, classifier)
    grey_floor = frechet_classifier_distance(x_train[:FCD_SAMPLES], x_test, classifier)
    results = {}
    for source, model in models.items():
        if isinstance(model, DCGAN):
            metric = evaluate_dcgan(model)
            results[source] = (metric["test_fcd"], metric["fcd_floor"])
            continue
        if source in STORED:
            if first_chunks is not None:
                check_stored_samples(source, first_chunks[source])
            samples = load_samples(source)
        else:
            samples = draw_chunks(model, FCD_SAMPLES)
        binary = next(c.binary for c in CONTENDERS if c.source == source)
        reference, floor = (x_test_binary, binary_floor) if binary else (x_test, grey_floor)
        results[source] = (frechet_classifier_distance(samples, reference, classifier), floor)
    return results


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------

def build_rows(models: dict[str, nn.Module], train_seconds: dict[str, float | None],
               metrics: dict[str, dict[str, float]], timings: dict[str, tuple[float, torch.Tensor]],
               fcds: dict[str, tuple[float, float]]) -> list[Row]:
    rows = []
    for c in CONTENDERS:
        nll = metrics[c.source][c.nll_key] if c.nll_key else None
        rows.append(Row(c.label, c.notebook, c.likelihood, nll,
                        None if nll is None else bits_per_dim(nll), *fcds[c.source],
                        timings[c.source][0], num_parameters(models[c.source]), train_seconds[c.source]))
    return rows


def measure(progress: bool = True) -> list[Row]:
    """The whole table, as notebook 06 computes it."""
    def say(message: str) -> None:
        if progress:
            print(message, flush=True)

    say("loading checkpoints, fitting the two baselines")
    models, train_seconds = load_models()
    say("test likelihoods (the VAE's IWAE-100 takes longest)")
    metrics = likelihoods(models)
    say("timing 64 digits from each model")
    timings = time_sampling(models)
    say("Fréchet classifier distances")
    fcds = frechet_distances(models, load_pretrained("classifier"),
                             {source: timings[source][1] for source in STORED})
    return build_rows(models, train_seconds, metrics, timings, fcds)


def _number(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


COLUMNS = ("model", "likelihood", "test NLL (nats)", "bits/dim", "FCD (floor)", "FCD / floor",
           "64 digits (s)", "parameters", "training (s)")


def row_cells(row: Row) -> list[str]:
    return [row.label, row.likelihood, _number(row.test_nll, 2), _number(row.bits_per_dim, 4),
            f"{row.fcd:.2f} ({row.fcd_floor:.2f})", f"{row.fcd_ratio:.1f}", _number(row.seconds_64, 3),
            f"{row.parameters:,}", _number(row.train_seconds, 1)]


def format_table(rows: Sequence[Row]) -> str:
    """The table as aligned plain text."""
    cells = [list(COLUMNS)] + [row_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths)))
             for line in cells]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def table_html(rows: Sequence[Row]) -> str:
    """The table as HTML, each model linked to the notebook that builds it."""
    def style(i: int) -> str:  # text columns left, numbers right and unbroken
        return "text-align:left" if i < 2 else "text-align:right; white-space:nowrap"

    head = "".join(f'<th style="text-align:{"left" if i < 2 else "right"}">{c}</th>' for i, c in enumerate(COLUMNS))
    body = []
    for row in rows:
        cells = row_cells(row)
        cells[0] = f'<a href="{row.notebook}.ipynb">{cells[0]}</a> <small>({row.notebook[:2]})</small>'
        body.append("<tr>" + "".join(f'<td style="{style(i)}">{c}</td>' for i, c in enumerate(cells)) + "</tr>")
    return (f'<table style="font-size:80%"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m lecturelib.evaluate",
        description="Measure every model of the course from its shipped checkpoint and print the "
                    "comparison table of notebook 06.")
    parser.add_argument("--json", metavar="PATH", help="also write the table to this JSON file")
    parser.add_argument("--draw-samples", nargs="*", metavar="NAME", choices=STORED,
                        help=f"draw and store the {FCD_SAMPLES} samples of these pixel models "
                             f"(default: all of {', '.join(STORED)}), then exit")
    args = parser.parse_args(argv)
    if args.draw_samples is not None:
        for source in args.draw_samples or STORED:
            print(f"{source}: drawing {FCD_SAMPLES} digits pixel by pixel", flush=True)
            print(f"  wrote {store_samples(source)}", flush=True)
        return
    torch.set_grad_enabled(False)
    rows = measure()
    print()
    print(format_table(rows))
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"torch": torch.__version__.split("+")[0], "threads": torch.get_num_threads(),
                   "rows": [dataclasses.asdict(r) | {"fcd_ratio": r.fcd_ratio} for r in rows]}
        path.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")
        print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
