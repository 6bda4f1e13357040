"""Measuring the table: load every contender, read its per-digit test log-likelihoods, time
64 of its digits, take FCD_SAMPLES of its samples (stored for the slow samplers) and score them
in one domain, binary digits; `measure` does it all."""

from __future__ import annotations

import time

import torch
from torch import nn

from ..checkpoints import load_log_likelihoods, load_samples, read_manifest
from ..data import load_binarized_test, load_digits
from ..metrics import DigitClassifier, SpreadFCD, bits_per_dim, confident_share, fcd_with_spread
from ..models.baselines import PCAMixture
from ..recipes import (FCD_SAMPLES, RECIPES, SAMPLE_CHUNK, STORED, as_coins, binary_floor,
                       check_first_chunk, draw_in_chunks, load_pretrained)
from .contenders import BASELINES, CONTENDERS, LIKELIHOOD_KINDS, Row, sources


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


def time_sampling(models: dict[str, nn.Module], n: int = SAMPLE_CHUNK, repeats: int = 5,
                  quick: float = 0.5) -> dict[str, tuple[float, torch.Tensor]]:
    """Seconds to draw n digits (chunk 0, seed 0) from each model, and the digits. A draw under
    `quick` seconds is timed `repeats` times and the best is kept: one call of a few
    milliseconds also pays first-call costs and any pause of a busy machine."""
    results = {}
    for source, model in models.items():
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            samples = draw(source, model, n, torch.Generator().manual_seed(0))
            best = min(best, time.perf_counter() - start)
            if best >= quick:
                break
        results[source] = (best, samples)
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
