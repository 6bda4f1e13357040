import os
import re

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # tests draw figures without a screen

# The checks that train a model to judge it (the reference, an independent answer, each mistake
# only training reveals): the assignments, and notebook 05's two GAN steps, each judged by a game on
# the ring; and the two exercises whose right answer is put to work by training a model on the
# digits (02.1's denoiser and 04.2's VAE, 4 s each). `make test-assignments` runs them, `make
# test-unit` the rest.
TRAINING = re.compile(r"tests/test_assignment_\w+\.py|\[\w+_model\.|\[gans\.(discriminator|generator)_step\]"
                      r"|put_to_work\[(autoencoders\.denoising_loss|vae\.negative_elbo)\]")


def pytest_collection_modifyitems(items):
    for item in items:
        if TRAINING.search(item.nodeid):
            item.add_marker(pytest.mark.training)
