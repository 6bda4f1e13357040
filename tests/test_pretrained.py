"""Every shipped checkpoint: listed, intact, loadable, and still reaching its recorded metric."""

import pytest

import torch

from lecturelib.checkpoints import load_log_likelihoods, read_manifest
from lecturelib.recipes import RECIPES, get_recipe, load_pretrained, measure

MANIFEST = read_manifest()


def test_every_manifest_entry_has_a_recipe():
    assert set(MANIFEST) <= set(RECIPES), set(MANIFEST) - set(RECIPES)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_checkpoint_reaches_its_recorded_metric(name):
    entry = MANIFEST[name]
    assert entry["command"].startswith(f"python -m lecturelib.train {name}")
    assert entry["bytes"] < 8 * 2**20, "keep checkpoints to a few MB"
    recipe = get_recipe(name)
    measured, per_digit = measure(recipe, load_pretrained(name))  # the one recomputation in make test
    for key, recorded in entry["metric"].items():
        assert measured[key] == pytest.approx(recorded, rel=recipe.rtol), key
    if per_digit is not None:  # what the recap reads instead of computing it again
        stored = load_log_likelihoods(name)
        assert set(stored) == set(per_digit)
        for kind, values in per_digit.items():
            torch.testing.assert_close(stored[kind], values.float(), rtol=recipe.rtol, atol=1e-2)


def test_every_recipe_is_shipped():
    """A recipe without a checkpoint would make `load_pretrained` fail in a notebook."""
    assert set(RECIPES) <= set(MANIFEST), set(RECIPES) - set(MANIFEST)
