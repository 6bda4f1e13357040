import os
import re

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # tests draw figures without a screen

# The checks of the assignments train a model (the reference, an independent answer, each mistake
# only training reveals) to judge it: `make test-assignments` runs them, `make test-unit` the rest.
TRAINING = re.compile(r"tests/test_assignment_\w+\.py|\[\w+_model\.")


def pytest_collection_modifyitems(items):
    for item in items:
        if TRAINING.search(item.nodeid):
            item.add_marker(pytest.mark.training)
