"""Every shipped checkpoint: listed, intact, loadable, and still reaching its recorded metric.

A model with a likelihood records the mean of per-digit test values stored beside it
(`checkpoints.load_log_likelihoods`, bound by sha256 to the checkpoint): the recorded metric is
recomputed from the stored values, and the values themselves live on a slice of the test digits
(the pixel models' exact log p(x) of the first LIVE_DIGITS; the VAEs' ELBO terms of the first 500
exactly, and their IWAE-100 of the first IWAE_DIGITS, against a fresh estimate). `make bench` re-measures
every checkpoint in full (benchmarks/models.py)."""

import pytest

import torch

from lecturelib.checkpoints import load_checkpoint, load_log_likelihoods, load_samples, read_manifest
from lecturelib.recipes import IWAE_SAMPLES, RECIPES, Evidence, get_recipe, load_pretrained, measure
from lecturelib.recipes import (diffusion_test_bounds, grey_test_log_likelihoods,
                               vae_test_log_likelihoods)

MANIFEST = read_manifest()
LIVE_DIGITS = 100  # pixel models: exact log p(x) of the first test digits, recomputed now
IWAE_DIGITS = 16  # VAEs: IWAE-100 of the first test digits with other noise, against the stored
# The mean of stored - fresh over those digits, fresh noise seeded 1-6: vae -0.67..0.55, vae_2d
# -0.14..1.12 nats (spread 0.43 and 0.46 across seeds); a wrong model or file is off by tens.
IWAE_TOLERANCE = 3.0
BOUND_DIGITS = 16  # the diffusion model's bound on 8-bit digits: the first test digits, other draws
BOUND_TOLERANCE = 100.0  # nats: stored - fresh over the 16, fresh draws seeded 1-6: -24..41 (sd 24)


def test_every_manifest_entry_has_a_recipe():
    assert set(MANIFEST) <= set(RECIPES), set(MANIFEST) - set(RECIPES)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_checkpoint_reaches_its_recorded_metric(name):
    entry = MANIFEST[name]
    assert entry["command"].startswith(f"python -m lecturelib.train {name}")
    assert entry["bytes"] < 8 * 2**20, "keep checkpoints to a few MB"
    recipe = get_recipe(name)
    model = load_pretrained(name)
    stored = None
    if recipe.test_log_likelihoods is not None:
        stored = load_log_likelihoods(name)
        check_stored_values_live(name, recipe, model, stored)
    if recipe.metric_from_samples:  # scored on its stored samples (notebook 08 redraws their first 64 live)
        measured, _ = measure(recipe, model, samples=load_samples(name), log_likelihoods=stored)
    elif stored is None:
        measured, _ = measure(recipe, model)  # samples, reconstructions, accuracy: computed now
    else:
        measured = recipe.evaluate(model, Evidence(log_likelihoods=stored))
    assert set(measured) == set(entry["metric"])
    for key, recorded in entry["metric"].items():
        assert measured[key] == pytest.approx(recorded, rel=recipe.rtol), key


def check_stored_values_live(name, recipe, model, stored):
    """The stored per-digit values are this model's: recomputed now on a slice of the test digits."""
    rtol = recipe.rtol
    if "exact" in stored or recipe.test_log_likelihoods is grey_test_log_likelihoods:
        # exact log p(x) (binary or 8-bit), or the flow's bound, whose seeded u are the same for a slice
        live = recipe.test_log_likelihoods(model, digits=LIVE_DIGITS)
        assert set(stored) == set(live)
        for kind in live:
            torch.testing.assert_close(stored[kind][:LIVE_DIGITS], live[kind].float(), rtol=rtol, atol=1e-2)
        return
    if "bound_sd" in stored:  # the diffusion bound: other draws of t and eps for a slice
        live = diffusion_test_bounds(model, digits=BOUND_DIGITS, seed=1)
        gap = (stored["bound"][:BOUND_DIGITS] - live["bound"]).mean().item()
        assert abs(gap) < BOUND_TOLERANCE, f"{name}: stored bound is {gap:.1f} nats from a fresh estimate"
        return
    live = vae_test_log_likelihoods(model, parts=1, iwae=False)  # the ELBO of the first 500, exactly
    for kind in ("recon", "kl", "elbo"):
        torch.testing.assert_close(stored[kind][:500], live[kind].float(), rtol=rtol, atol=1e-2)
    x = load_binarized_test_slice(IWAE_DIGITS)
    fresh = model.iwae_log_likelihood(x, IWAE_SAMPLES, generator=torch.Generator().manual_seed(1))
    gap = abs((stored[f"iwae{IWAE_SAMPLES}"][:IWAE_DIGITS] - fresh).mean().item())
    assert gap < IWAE_TOLERANCE, f"{name}: stored IWAE-{IWAE_SAMPLES} is {gap:.2f} nats from a fresh estimate"


def load_binarized_test_slice(n):
    from lecturelib.data import load_binarized_test

    return load_binarized_test().x[:n]


def test_the_live_slices_are_the_full_runs_first_values():
    """What check_stored_values_live relies on, on a model small enough to run in full: a slice
    gives the same values as the whole run's first ones."""
    model = load_pretrained("vae_2d")
    part = vae_test_log_likelihoods(model, parts=1, iwae=False)
    assert part["elbo"].shape == (500,)
    torch.testing.assert_close(part["elbo"], load_log_likelihoods("vae_2d")["elbo"][:500], rtol=1e-3, atol=1e-2)


def test_every_recipe_is_shipped():
    """A recipe without a checkpoint would make `load_pretrained` fail in a notebook."""
    assert set(RECIPES) <= set(MANIFEST), set(RECIPES) - set(MANIFEST)


def test_every_manifest_entry_was_trained_as_its_recipe_says():
    """One source of truth: the manifest's `training` and `config` are the recipe's."""
    import dataclasses
    import json

    for name, recipe in RECIPES.items():
        entry = MANIFEST[name]
        assert entry["training"] == json.loads(json.dumps(dataclasses.asdict(recipe.training))), name
        stored = load_checkpoint(name).config  # every field stored: nothing loads through a default
        assert json.loads(json.dumps(stored)) == json.loads(json.dumps(dataclasses.asdict(recipe.config))), name


def test_each_config_defaults_to_a_shipped_model():
    """One source of truth: a config class built with no arguments is a model the course ships
    (the others of its class name only what differs)."""
    for cls in {type(recipe.config) for recipe in RECIPES.values()}:
        shipped = [name for name, recipe in RECIPES.items() if recipe.config == cls()]
        assert shipped, f"{cls.__name__}() is no shipped model"
