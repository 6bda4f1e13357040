"""What one student's kernel uses while it runs each notebook: CPU cores and memory, to size a
class's hub (deploy/README.md, "Teaching a class").

    python benchmarks/kernel_resources.py notebooks/*.ipynb     # about 8 min on 2 cores

Each notebook runs top to bottom in a fresh kernel, as a student runs it (nbclient, the executor
of `jupyter nbconvert --execute`; the instructor edition, so every exercise and assignment is
answered and trained: the heaviest run a student makes). While it runs, the kernel's process
(and any child it starts) is sampled every SAMPLE_SECONDS with psutil: resident memory (RSS) and
CPU time. Recorded per notebook: wall seconds, CPU seconds, mean cores (CPU / wall), the busiest
WINDOW_SECONDS (cores), peak RSS, the RSS the kernel still holds when the notebook has ended (an
open kernel keeps it until the student shuts it down), and the machine's load average at the end:
memory does not depend on other work, CPU does (on a busy machine a kernel gets less than its two
threads' worth, and OpenMP threads spinning while they wait add CPU seconds). Prints a table and
writes benchmarks/results/kernel_resources.json after each notebook.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "kernel_resources.json"
SAMPLE_SECONDS = 0.25
WINDOW_SECONDS = 2.0
GIB = 2**30


class Sampler(threading.Thread):
    """Samples (time, CPU seconds, RSS bytes) of a process and its children until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.samples: list[tuple[float, float, int]] = []
        self.done = threading.Event()

    def measure(self) -> tuple[float, float, int]:
        cpu, rss = 0.0, 0
        for proc in [self.process, *self.process.children(recursive=True)]:
            try:
                times, memory = proc.cpu_times(), proc.memory_info()
            except psutil.Error:
                continue
            cpu += times.user + times.system
            rss += memory.rss
        return time.monotonic(), cpu, rss

    def run(self):
        while not self.done.wait(SAMPLE_SECONDS):
            self.samples.append(self.measure())


def busiest_window(samples: list[tuple[float, float, int]]) -> float:
    """The most cores used on average over any window of at least WINDOW_SECONDS of the run: for
    each sample, the shortest such window ending there (longer than WINDOW_SECONDS where the
    sampler thread was held up, as it is while a cell floods the client with progress messages;
    such a window is never dropped)."""
    best, start = 0.0, 0
    for end in range(1, len(samples)):
        while start + 1 < end and samples[end][0] - samples[start + 1][0] >= WINDOW_SECONDS:
            start += 1
        elapsed = samples[end][0] - samples[start][0]
        if elapsed >= WINDOW_SECONDS:
            best = max(best, (samples[end][1] - samples[start][1]) / elapsed)
    return best


def run(path: Path) -> dict:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel(env={**os.environ, "GENMODELS_PROFILE": "quick"}):
        sampler = Sampler(client.km.provisioner.process.pid)
        start = sampler.measure()
        sampler.start()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        sampler.done.set()
        sampler.join()
        end = sampler.measure()
    samples = [start, *sampler.samples, end]
    wall, cpu = end[0] - start[0], end[1] - start[1]
    longest_gap = max(b[0] - a[0] for a, b in zip(samples, samples[1:]))
    return {"notebook": path.name, "load_average": round(os.getloadavg()[0], 1),
            "seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
            "mean_cores": round(cpu / wall, 2), "busiest_cores": round(busiest_window(samples), 2),
            "peak_rss_gib": round(max(s[2] for s in samples) / GIB, 2),
            "end_rss_gib": round(end[2] / GIB, 2), "longest_gap_between_samples": round(longest_gap, 2)}


def main(paths: list[str]) -> int:
    """Runs each notebook and records it; notebooks already in the results and not run now are kept."""
    earlier = json.loads(RESULTS.read_text())["notebooks"] if RESULTS.exists() else []
    run_now = {Path(path).name for path in paths}
    rows = [row for row in earlier if row["notebook"] not in run_now]
    print(f"{'notebook':<36} {'seconds':>7} {'mean cores':>10} {'busiest {:.0f} s'.format(WINDOW_SECONDS):>11} "
          f"{'peak GiB':>8} {'held GiB':>8}")
    import torch  # only for the record of versions and threads

    for path in paths:
        row = run(Path(path).resolve())
        rows = sorted([*rows, row], key=lambda r: r["notebook"])
        print(f"{row['notebook']:<36} {row['seconds']:>7.1f} {row['mean_cores']:>10.2f} "
              f"{row['busiest_cores']:>11.2f} {row['peak_rss_gib']:>8.2f} {row['end_rss_gib']:>8.2f}"
              f"  (load {row['load_average']})", flush=True)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({
            "date": datetime.date.today().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "method": f"nbclient, instructor edition, kernel process tree sampled every {SAMPLE_SECONDS} s "
                      f"with psutil (RSS, CPU time)",
            "notebooks": rows,
        }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
