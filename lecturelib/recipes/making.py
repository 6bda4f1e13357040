"""A checkpoint's life: `make_checkpoint` trains a recipe from scratch and records it (weights,
manifest entry with the command and every setting, per-digit test log-likelihoods, stored
samples); `measure` computes what it records; `remeasure_checkpoint` records it again;
`store_drawn_samples` redraws the stored samples of the slow samplers."""

from __future__ import annotations

import dataclasses
import time
from typing import Sequence

import torch
from torch import nn

from ..checkpoints import (load_samples, record_metric, save_checkpoint, store_log_likelihoods,
                           store_samples)
from ..config import isolated_seed
from .recipe import Evidence, Recipe
from .registry import RECIPES, get_recipe, load_pretrained
from .samples import FCD_SAMPLES, SAMPLE_CHUNK, check_first_chunk, draw_samples


def measure(recipe: Recipe, model: nn.Module, samples: torch.Tensor | None = None,
            log_likelihoods: dict[str, torch.Tensor] | None = None
            ) -> tuple[dict[str, float], dict[str, torch.Tensor] | None]:
    """The metric a checkpoint records and, for a model with a likelihood, the per-test-digit
    log-likelihoods that metric averages (computed once, for both, unless `log_likelihoods` are
    given, e.g. the stored ones). A metric about samples is computed on `samples` (as coins), else
    on the stored ones (checked to start with the digits drawn now), else on samples drawn now."""
    values = log_likelihoods
    if values is None and recipe.test_log_likelihoods is not None:
        values = recipe.test_log_likelihoods(model)
    if recipe.metric_from_samples and samples is None:
        if recipe.stored_samples:
            samples = load_samples(recipe.name)
            check_first_chunk(recipe.name, recipe.draw(model, SAMPLE_CHUNK, torch.Generator().manual_seed(0)))
        else:
            samples = draw_samples(recipe, model)
    classifier = load_pretrained("classifier") if recipe.scored_by_classifier else None
    evidence = Evidence(log_likelihoods=values, samples=samples if recipe.metric_from_samples else None,
                        classifier=classifier)
    return recipe.evaluate(model, evidence), values


def make_checkpoint(name: str, *, num_epochs: int | None = None, seed: int | None = None,
                    root: str | None = None, progress: bool = True) -> dict[str, float]:
    """Train recipe `name` from scratch, evaluate it, save checkpoint + manifest entry (with the
    command and every training setting), its per-digit test log-likelihoods if it has some, and
    its stored samples if it is too slow to sample live."""
    recipe = get_recipe(name)
    training = dataclasses.replace(recipe.training, epochs=num_epochs or recipe.training.epochs,
                                   seed=recipe.training.seed if seed is None else seed)
    with isolated_seed(training.seed) as generator:  # initial weights, dropout: seeded, then given back
        model = recipe.build(recipe.config)
        start = time.perf_counter()
        history = recipe.train(model, training, generator, progress)
        seconds = time.perf_counter() - start
    model.eval()
    samples, sample_seconds = None, 0.0
    if recipe.stored_samples:
        start = time.perf_counter()
        samples = draw_samples(recipe, model, progress=progress)
        sample_seconds = time.perf_counter() - start
    metric, values = measure(recipe, model, samples)
    command = f"python -m lecturelib.train {name}"
    if training.epochs != recipe.training.epochs:
        command += f" --epochs {training.epochs}"
    if training.seed != recipe.training.seed:
        command += f" --seed {training.seed}"
    save_checkpoint(model, name, command=command, metric=metric, config=recipe.config,
                    training=dataclasses.asdict(training), train_seconds=seconds, root=root,
                    validation=history.epochs.get("val_loss") if training.hold_out else None)
    if root is None:  # measurements and samples are stored beside the shipped checkpoints only
        if values is not None:
            store_log_likelihoods(name, values)
        if samples is not None:
            store_samples(name, samples, chunk=SAMPLE_CHUNK, seconds=sample_seconds)
    return metric


def remeasure_checkpoint(name: str, root: str | None = None) -> dict[str, float]:
    """Evaluate the shipped checkpoint `name` again and record the result in the manifest (and
    its per-digit test log-likelihoods, for a model with a likelihood)."""
    metric, values = measure(get_recipe(name), load_pretrained(name, root=root))
    record_metric(name, metric, root=root)
    if values is not None and root is None:
        store_log_likelihoods(name, values)
    return metric


def store_drawn_samples(names: Sequence[str]) -> None:
    """Draw FCD_SAMPLES digits from each named checkpoint and store them (`--draw-samples`)."""
    for name in names:
        print(f"{name}: drawing {FCD_SAMPLES} digits", flush=True)
        start = time.perf_counter()
        samples = draw_samples(RECIPES[name], load_pretrained(name), progress=True)
        path = store_samples(name, samples, chunk=SAMPLE_CHUNK, seconds=time.perf_counter() - start)
        print(f"  wrote {path}", flush=True)
