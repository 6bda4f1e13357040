"""Time each notebook end to end under nbval, as `make test` runs it, and record peak memory.

    python benchmarks/notebooks.py notebooks/*.ipynb      # or: make bench-notebooks

Each notebook runs in its own `pytest --nbval-lax` process (kernel start and imports included);
the peak resident memory is the largest of that process and its kernel, read from
getrusage(RUSAGE_CHILDREN) in a fresh wrapper process per notebook. The reference workload
(benchmarks/reference.py) is timed before and after the notebooks, and each notebook's time is
also given as its ratio to the mean of the two: a busy hour slows both alike, so the ratio
compares across days (the budget of 150 s on the idle reference machine is a ratio of
150 / IDLE_REFERENCE_SECONDS). Prints a table and writes benchmarks/results/notebooks.json with the
date, machine and thread count.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from reference import reference_seconds

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "notebooks.json"
BUDGET_SECONDS = 150  # COURSE.md: each notebook under nbval, on the reference machine when idle
IDLE_REFERENCE_SECONDS = 1.34  # the reference workload on that machine, idle (2026-12-04)

# Runs in a fresh interpreter so RUSAGE_CHILDREN covers exactly one notebook's processes.
WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call([sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env",
                        "--nbval-cell-timeout=600", sys.argv[1]], stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - start
print(code, seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def main(paths: list[str]) -> int:
    rows = []
    before = reference_seconds()
    print(f"reference workload: {before:.2f} s (idle: {IDLE_REFERENCE_SECONDS} s)")
    print(f"{'notebook':<40} {'result':>7} {'seconds':>8} {'peak MiB':>9}")
    for path in paths:
        out = subprocess.run([sys.executable, "-c", WRAPPER, path], capture_output=True, text=True,
                             cwd=ROOT, env={**os.environ, "GENMODELS_PROFILE": "quick"})
        code, seconds, peak = out.stdout.split()
        row = {"notebook": Path(path).name, "passed": code == "0", "seconds": round(float(seconds), 1),
               "peak_rss_mib": round(float(peak))}
        rows.append(row)
        print(f"{row['notebook']:<40} {'pass' if row['passed'] else 'FAIL':>7} "
              f"{row['seconds']:>8.1f} {row['peak_rss_mib']:>9}")
    after = reference_seconds()
    reference = (before + after) / 2
    budget = BUDGET_SECONDS / IDLE_REFERENCE_SECONDS
    print(f"reference workload: {before:.2f} s before, {after:.2f} s after; ratios to their mean "
          f"(budget {budget:.0f}):")
    for row in rows:
        row["ratio"] = round(row["seconds"] / reference, 1)
        row["within_budget"] = row["ratio"] <= budget
        print(f"{row['notebook']:<40} {row['ratio']:>7.1f} {'' if row['within_budget'] else 'OVER BUDGET'}")
    import torch  # only for the record of versions and threads

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "reference_seconds": {"before": round(before, 3), "after": round(after, 3),
                              "idle": IDLE_REFERENCE_SECONDS},
        "budget_ratio": round(budget, 1), "notebooks": rows,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
