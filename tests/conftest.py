import os
import re

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # tests draw figures without a screen

# The checks that train a model to judge it (the reference, an independent answer, each mistake
# only training reveals): the assignments, and notebook 05's two GAN steps, each judged by a game on
# the ring. `make test-assignments` runs them, `make test-unit` the rest.
TRAINING = re.compile(r"tests/test_assignment_\w+\.py|\[\w+_model\.|\[gans\.(discriminator|generator)_step\]")


def pytest_collection_modifyitems(items):
    for item in items:
        if TRAINING.search(item.nodeid):
            item.add_marker(pytest.mark.training)
