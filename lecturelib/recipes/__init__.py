"""How each shipped checkpoint is made and measured: one Recipe per name.

    python -m lecturelib.train autoencoder_z32        # trains, evaluates, writes the checkpoint
    model = load_pretrained("autoencoder_z32")        # in a notebook: build + load + eval mode

One job per file:

    recipes/recipe.py       what a recipe is: Training (every setting), Recipe, Evidence
    recipes/samples.py      how models make digits: seeded chunks, as coins, the samplers' settings
    recipes/training.py     how recipes train: fit / fit_gan on the shipped digits
    recipes/evaluation.py   what each checkpoint records: evaluate(model, evidence) -> metrics
    recipes/registry.py     the recipes by name, and load_pretrained
    recipes/making.py       a checkpoint's life: measure, make, remeasure, store samples

The same `evaluate` runs when the checkpoint is made (its value goes into the manifest) and in
tests/test_pretrained.py, which re-evaluates every shipped checkpoint and compares.
"""

from __future__ import annotations

from .evaluation import (BOUND_DRAWS, IWAE_SAMPLES, diffusion_test_bounds, evaluate_autoencoder,  # noqa: F401
                         evaluate_classifier, evaluate_diffusion, evaluate_gan_grey, evaluate_grey_model,
                         evaluate_pixel_model, evaluate_samples_binary, evaluate_vae, grey_test_log_likelihoods,
                         pixel_test_log_likelihoods, vae_test_log_likelihoods)
from .making import make_checkpoint, measure, remeasure_checkpoint, store_drawn_samples  # noqa: F401
from .recipe import Evidence, Recipe, Training, sample_digits  # noqa: F401
from .registry import RECIPES, STORED, get_recipe, load_pretrained  # noqa: F401
from .samples import (DIFFUSION_STEPS, FCD_SAMPLES, FLOOR_BINARIZATION_SEED, GUIDANCE,  # noqa: F401
                      GUIDED_SAMPLER, GUIDED_STEPS, SAMPLE_BINARIZATION_SEED, SAMPLE_CHUNK,
                      UNGUIDED_SAMPLER, as_coins, binary_floor, check_first_chunk, draw_diffusion_digits,
                      draw_digits_in_turn, draw_in_chunks, draw_samples, draw_vae_digits, labels_in_turn)
from .training import DCGAN_R1_GAMMA, train_dcgan, train_gan_on_images, train_on_digits  # noqa: F401
