"""Every shipped checkpoint: listed, intact, loadable, and still reaching its recorded metric."""

import pytest

from lecturelib.checkpoints import read_manifest
from lecturelib.recipes import RECIPES, get_recipe, load_pretrained

MANIFEST = read_manifest()


def test_every_manifest_entry_has_a_recipe():
    assert set(MANIFEST) <= set(RECIPES), set(MANIFEST) - set(RECIPES)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_checkpoint_reaches_its_recorded_metric(name):
    entry = MANIFEST[name]
    assert entry["command"].startswith(f"python -m lecturelib.train {name}")
    assert entry["bytes"] < 8 * 2**20, "keep checkpoints to a few MB"
    recipe = get_recipe(name)
    measured = recipe.evaluate(load_pretrained(name))
    for key, recorded in entry["metric"].items():
        assert measured[key] == pytest.approx(recorded, rel=recipe.rtol), key


def test_every_recipe_is_shipped():
    """A recipe without a checkpoint would make `load_pretrained` fail in a notebook."""
    assert set(RECIPES) <= set(MANIFEST), set(RECIPES) - set(MANIFEST)
