"""pytest, for the notebooks (make test-notebooks, make test-student, the grading tests): once a
cell has finished, nbval 0.11 waits at most 5 seconds (hard-coded) for each of its remaining
output messages. On a busy machine a kernel can take longer than that to flush a cell's last
progress-bar updates, and a notebook that ran correctly is failed with "Timeout of 5 seconds
exceeded waiting for output" (seen in CI on 2026-12-04: notebook 02's linear autoencoders, 3 x 1,280
progress updates, under a load of 4). The cell's own limit stays --nbval-cell-timeout."""

NBVAL_OUTPUT_TIMEOUT = 60  # seconds to wait for each output message of a finished cell


def pytest_collection_modifyitems(items):
    for item in items:
        if type(item).__name__ == "IPyNbCell" and hasattr(item, "output_timeout"):
            item.output_timeout = NBVAL_OUTPUT_TIMEOUT
