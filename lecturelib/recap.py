"""The course's models side by side: one table, measured from the shipped checkpoints.

    python -m lecturelib.recap                      # print the table (a minute or two on 2 cores)
    python -m lecturelib.recap --json out.json      # ... and write it as JSON
    python -m lecturelib.recap --draw-samples       # re-draw the stored samples of the slow samplers (minutes)

The recap notebook builds the same table with the same functions. Its columns:
- likelihood: what log p(x) the model gives: exact (chain rule), bound (ELBO), estimate
  (IWAE-100), none (GAN); a diffusion model has an ELBO too, but on grey digits, not on the
  coins the others are scored on, so the course does not compute it;
- test NLL in nats per digit and bits/dim, on the statically binarized test split, from each
  model's per-digit log-likelihoods (their means are the numbers of the manifest and of notebooks
  03 and 04; the per-digit values let the notebook compare two models digit by digit);
- FCD: the Fréchet classifier distance of FCD_SAMPLES samples to the test digits, with its spread
  (`metrics.fcd_with_spread`), in ONE domain for every model: binary digits. The pixel models and
  the VAE draw coins already; grey samples (GANs, diffusion, the mixture) become binary by one Bernoulli draw
  per pixel, exactly as the test digits were binarized. The floor is computed in the same domain
  (`metrics.fcd_floor` on binarized training digits). Compare models by FCD / floor;
- readable: the share of those samples the digit classifier labels with confidence >= 0.9;
- seconds to draw 64 digits, measured now on this machine;
- parameters (all trained ones, encoder and discriminator included) and the training time
  recorded in the manifest.

Drawing 2,000 digits pixel by pixel (or by guided denoising steps) costs minutes, longer than
a notebook may take. Those samples are drawn once, when the checkpoint is made or by
`--draw-samples`, into data/samples/NAME.pt (`checkpoints.store_samples`), in chunks of
SAMPLE_CHUNK digits seeded 0, 1, 2, ...: the first chunk is exactly the 64 digits that the timing
column draws live, which shows that the stored ones come from the shipped checkpoint
(`recipes.check_first_chunk`).
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

from .checkpoints import load_log_likelihoods, load_samples, read_manifest, store_samples
from .data import load_binarized_test, load_digits
from .metrics import DigitClassifier, SpreadFCD, bits_per_dim, confident_share, fcd_with_spread
from .models.baselines import IndependentPixels, PCAMixture
from .recipes import (FCD_SAMPLES, RECIPES, SAMPLE_CHUNK, STORED, as_coins,
                      binary_floor, check_first_chunk, draw_in_chunks, draw_samples, load_pretrained)



@dataclasses.dataclass(frozen=True)
class Contender:
    label: str
    source: str  # a checkpoint name, or a key of BASELINES
    notebook: str  # where the course builds it
    likelihood: str  # exact / bound / estimate / none
    nll: str | None = None  # which per-digit log-likelihood is its test NLL: exact / elbo / iwae100


CONTENDERS: tuple[Contender, ...] = (
    Contender("PixelRNN (Row LSTM)", "row_lstm", "03_pixelrnn_pixelcnn", "exact", "exact"),
    Contender("PixelCNN", "pixelcnn", "03_pixelrnn_pixelcnn", "exact", "exact"),
    Contender("gated PixelCNN", "gated_pixelcnn", "03_pixelrnn_pixelcnn", "exact", "exact"),
    Contender("VAE, ELBO", "vae", "04_variational_autoencoders", "bound", "elbo"),
    Contender("VAE, IWAE-100", "vae", "04_variational_autoencoders", "estimate", "iwae100"),
    Contender("DCGAN", "dcgan", "05_gans", "none"),
    Contender("conditional GAN", "cgan", "05_gans", "none"),
    Contender("diffusion, 25 steps", "diffusion", "06_diffusion_models", "bound, not computed"),
    Contender("diffusion, guided", "cdiffusion", "06_diffusion_models", "bound, not computed"),
    Contender("Gaussian mixture on 30 PCA codes", "pca_mixture", "01_unsupervised_learning", "exact, of the codes"),
    Contender("independent pixels", "independent_pixels", "00_getting_started", "exact", "exact"),
)

# The family tree of Goodfellow (2016, Fig. 9), as `plot.plot_tree` draws it; the boxes the
# course builds name the notebook that builds them and are coloured BUILT_COLOUR.
_FVBN = "fully visible\nbelief nets\nPixelRNN/CNN → 03\nlater: transformers"
_MIXTURE = "latent variable,\nsummed exactly\nGaussian mixture → 01"
_VARIATIONAL = "variational\nVAE → 04\ndiffusion → 06"
_GAN = "direct\nGAN → 05"
TAXONOMY = ("maximum likelihood", [
    ("explicit density\n(evaluate p(x))", [
        ("tractable density", [_FVBN, "change of\nvariables\nnonlinear ICA\nlater: flows", _MIXTURE]),
        ("approximate density", [_VARIATIONAL, "Markov chain\nBoltzmann\nmachine"]),
    ]),
    ("implicit density\n(sample only)", ["Markov chain\nGSN", _GAN]),
])
BUILT_COLOUR = "#cfe8cf"
BUILT = {box: BUILT_COLOUR for box in (_FVBN, _MIXTURE, _VARIATIONAL, _GAN)}

LIKELIHOOD_KINDS = ("exact", "elbo", "iwae100")  # per-digit log p(x), or a bound / estimate of it

# The two baselines have no checkpoint: they are fitted to the training digits in a second.
BASELINES = {"pca_mixture": PCAMixture, "independent_pixels": IndependentPixels}


@dataclasses.dataclass
class Row:
    """One line of the table; None where a column does not apply."""

    label: str
    notebook: str
    likelihood: str
    test_nll: float | None
    bits_per_dim: float | None
    fcd: float
    fcd_spread: float
    fcd_floor: float
    fcd_floor_spread: float
    readable: float
    seconds_64: float
    parameters: int
    train_seconds: float | None

    @property
    def fcd_ratio(self) -> float:
        return self.fcd / self.fcd_floor

    @property
    def spread_fcd(self) -> SpreadFCD:
        return SpreadFCD(self.fcd, self.fcd_spread)


def sources() -> list[str]:
    """Every model of the table once, in the table's order."""
    return list(dict.fromkeys(c.source for c in CONTENDERS))


def load_models() -> tuple[dict[str, nn.Module], dict[str, float | None]]:
    """Every contender's model by source, and its training seconds (the manifest's for the
    checkpoints, measured now for the two baselines)."""
    manifest = read_manifest()
    x_train, _ = load_digits("train")
    models: dict[str, nn.Module] = {}
    train_seconds: dict[str, float | None] = {}
    for source in sources():
        start = time.perf_counter()
        if source in BASELINES:
            models[source] = BASELINES[source](x_train)
            train_seconds[source] = time.perf_counter() - start
        else:
            models[source] = load_pretrained(source)
            train_seconds[source] = manifest[source].get("train_seconds")
    return models, train_seconds


def num_parameters(model: nn.Module) -> int:
    if isinstance(model, PCAMixture):  # its numbers are tensors, not nn.Parameters
        return model.num_parameters()
    return sum(p.numel() for p in model.parameters())


def test_log_likelihoods(models: dict[str, nn.Module]) -> dict[str, dict[str, torch.Tensor]]:
    """Per-digit test log-likelihoods (2,000,) of every model that has one, by kind (exact,
    elbo, iwae100). A checkpoint's were computed by its recipe when it was made and stored beside
    it (`checkpoints.load_log_likelihoods`; tests/test_pretrained.py recomputes them and the
    manifest's numbers are their means); the independent pixels' are computed now."""
    results = {}
    for source in dict.fromkeys(c.source for c in CONTENDERS if c.nll):
        if source in BASELINES:
            results[source] = {"exact": models[source].log_prob(load_binarized_test().x)}
        else:
            values = load_log_likelihoods(source)
            results[source] = {kind: values[kind] for kind in LIKELIHOOD_KINDS if kind in values}
    return results


# ---------------------------------------------------------------------------------------------
# Samples: drawn in seeded chunks, timed, stored for the slow ones
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def draw(source: str, model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """n digits (n, 1, 28, 28) in [0, 1] as the model makes them (its recipe's `draw`)."""
    if source in RECIPES:
        return RECIPES[source].draw(model, n, generator)
    return model.sample(n, generator=generator)


def draw_chunks(source: str, model: nn.Module, n: int, chunk: int = SAMPLE_CHUNK,
                progress: bool = False) -> torch.Tensor:
    """n digits, drawn `chunk` at a time with the generators seeded 0, 1, 2, ...; the first
    chunk equals draw(source, model, chunk, torch.Generator().manual_seed(0))."""
    return draw_in_chunks(lambda k, g: draw(source, model, k, g), n, chunk, progress, source)


def time_sampling(models: dict[str, nn.Module], n: int = SAMPLE_CHUNK) -> dict[str, tuple[float, torch.Tensor]]:
    """Seconds to draw n digits (chunk 0, seed 0) from each model, and the digits."""
    results = {}
    for source, model in models.items():
        start = time.perf_counter()
        samples = draw(source, model, n, torch.Generator().manual_seed(0))
        results[source] = (time.perf_counter() - start, samples)
    return results


def all_samples(models: dict[str, nn.Module], first_chunks: dict[str, torch.Tensor] | None = None
                ) -> dict[str, torch.Tensor]:
    """FCD_SAMPLES digits of every model: stored ones for the slow samplers (checked against
    `first_chunks` when given), drawn now in seeded chunks for the others."""
    samples = {}
    for source, model in models.items():
        if source in STORED:
            if first_chunks is not None:
                check_first_chunk(source, first_chunks[source])
            samples[source] = load_samples(source)
        else:
            samples[source] = draw_chunks(source, model, FCD_SAMPLES)
    return samples


# ---------------------------------------------------------------------------------------------
# Sample quality, every model in one domain: binary digits
# ---------------------------------------------------------------------------------------------

def sample_quality(samples: dict[str, torch.Tensor], classifier: DigitClassifier
                   ) -> tuple[dict[str, SpreadFCD], SpreadFCD, dict[str, float]]:
    """In the binary domain: each model's FCD to the binarized test digits (with its spread), the
    floor (binarized training digits, same test digits), and the share of readable samples."""
    x_test = load_binarized_test().x
    floor = binary_floor(classifier)
    coins = {source: as_coins(images) for source, images in samples.items()}
    fcds = {source: fcd_with_spread(images, x_test, classifier) for source, images in coins.items()}
    readable = {source: confident_share(images, classifier) for source, images in coins.items()}
    return fcds, floor, readable


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------

def build_rows(models: dict[str, nn.Module], train_seconds: dict[str, float | None],
               log_likelihoods: dict[str, dict[str, torch.Tensor]],
               timings: dict[str, tuple[float, torch.Tensor]], fcds: dict[str, SpreadFCD],
               floor: SpreadFCD, readable: dict[str, float]) -> list[Row]:
    rows = []
    for c in CONTENDERS:
        nll = -log_likelihoods[c.source][c.nll].mean().item() if c.nll else None
        rows.append(Row(label=c.label, notebook=c.notebook, likelihood=c.likelihood, test_nll=nll,
                        bits_per_dim=None if nll is None else bits_per_dim(nll),
                        fcd=fcds[c.source].value, fcd_spread=fcds[c.source].spread,
                        fcd_floor=floor.value, fcd_floor_spread=floor.spread,
                        readable=readable[c.source], seconds_64=timings[c.source][0],
                        parameters=num_parameters(models[c.source]), train_seconds=train_seconds[c.source]))
    return rows


def measure(progress: bool = True) -> list[Row]:
    """The whole table, as the recap notebook computes it."""
    def say(message: str) -> None:
        if progress:
            print(message, flush=True)

    say("loading checkpoints, fitting the two baselines")
    models, train_seconds = load_models()
    say("test log-likelihoods (the VAE's IWAE-100 takes longest)")
    log_likelihoods = test_log_likelihoods(models)
    say("timing 64 digits from each model")
    timings = time_sampling(models)
    say("2,000 samples of each model; Fréchet classifier distances on binary digits")
    samples = all_samples(models, {source: timings[source][1] for source in STORED})
    fcds, floor, readable = sample_quality(samples, load_pretrained("classifier"))
    return build_rows(models, train_seconds, log_likelihoods, timings, fcds, floor, readable)


def _duration(seconds: float) -> str:
    """Two significant digits, in ms below 0.1 s: "4.1 s", "15 ms", "0.62 ms" (narrow captions)."""
    return f"{seconds:.2g} s" if seconds >= 0.1 else f"{seconds * 1000:.2g} ms"


def sample_panels(rows: Sequence[Row], timings: dict[str, tuple[float, torch.Tensor]],
                  vae_means: torch.Tensor) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The first 16 of each model's 64 timed digits, titled by row, captioned with the row's FCD
    and sampling time; the VAE once (its coins), then the decoder's means of the same codes
    (`vae_means`), and last the binarized test digits."""
    by_label = {row.label: row for row in rows}
    panels, captions = {}, {}
    for c in CONTENDERS:
        if c.nll == "iwae100":
            continue  # the VAE's second row: the same samples
        label = "VAE" if c.source == "vae" else c.label
        panels[label] = timings[c.source][1][:16]
        row = by_label[c.label]
        captions[label] = f"FCD {row.fcd_ratio:.1f} x floor · {_duration(row.seconds_64)}"
        if c.source == "vae":
            panels["VAE: decoded means"] = vae_means[:16]
    panels["real test digits (binarized)"] = load_binarized_test().x[:16]
    return panels, captions


def _number(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


COLUMNS = ("model", "likelihood", "test NLL (nats)", "bits/dim", "FCD ± spread", "FCD / floor",
           "readable", "64 digits (s)", "parameters", "training (s)")


def row_cells(row: Row) -> list[str]:
    return [row.label, row.likelihood, _number(row.test_nll, 2), _number(row.bits_per_dim, 4),
            f"{row.fcd:.1f} ± {row.fcd_spread:.1f}", f"{row.fcd_ratio:.1f}", f"{row.readable:.0%}",
            _number(row.seconds_64, 3), f"{row.parameters:,}", _number(row.train_seconds, 1)]


def format_table(rows: Sequence[Row]) -> str:
    """The table as aligned plain text, with the floor below it."""
    cells = [list(COLUMNS)] + [row_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths)))
             for line in cells]
    floor = f"FCD floor (real binarized training digits): {rows[0].fcd_floor:.2f} ± {rows[0].fcd_floor_spread:.2f}"
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:], "", floor])


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
    return (f'<table style="font-size:75%"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def store_all_samples(names: Sequence[str]) -> None:
    """Draw FCD_SAMPLES digits from each named checkpoint and store them (`--draw-samples`)."""
    for name in names:
        print(f"{name}: drawing {FCD_SAMPLES} digits", flush=True)
        start = time.perf_counter()
        samples = draw_samples(RECIPES[name], load_pretrained(name), progress=True)
        path = store_samples(name, samples, chunk=SAMPLE_CHUNK, seconds=time.perf_counter() - start)
        print(f"  wrote {path}", flush=True)


def check_claims(claims: dict[str, bool]) -> None:
    """Print each claim about the table with whether it holds; fail naming every one that does not
    (a retrained checkpoint can change a ranking: then the text that makes the claim must change)."""
    for claim, holds in claims.items():
        print(("holds   " if holds else "FAILS   ") + claim)
    failed = [claim for claim, holds in claims.items() if not holds]
    if failed:
        raise AssertionError("claims that no longer hold: " + "; ".join(failed))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m lecturelib.recap",
        description="Measure every model of the course from its shipped checkpoint and print the "
                    "comparison table of the recap notebook.")
    parser.add_argument("--json", metavar="PATH", help="also write the table to this JSON file")
    parser.add_argument("--draw-samples", nargs="*", metavar="NAME", choices=STORED,
                        help=f"draw and store the {FCD_SAMPLES} samples of these slow samplers "
                             f"(default: all of {', '.join(STORED)}), then exit")
    args = parser.parse_args(argv)
    if args.draw_samples is not None:
        store_all_samples(args.draw_samples or STORED)
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

