"""Model-side benchmarks: checkpoint quality, the training loop's overhead, the samplers.

    python benchmarks/models.py            # or: make bench (which also times every notebook)

1. Every shipped checkpoint is re-evaluated with its recipe (`recipes.measure`, the same code that
   made its manifest entry) and shown next to the recorded value.
2. Training throughput (images/s) of `lecturelib.train.fit` (progress bar on, as students run it)
   against a bare hand-written loop: same model, same initial weights, same batches, same seed,
   in the same run, alternating the two (and which goes first) so machine noise hits both alike;
   medians of 4 runs each. Reported as a ratio;
   the final weights of the two must be equal, which proves they did the same work.
3. Time to sample 64 digits from the shipped PixelCNN with full-image passes and with the
   cropped sampler, as a ratio, and whether both give the same digits.
4. Time to sample 64 digits from the shipped diffusion models: DDIM with 5 to 100 steps (the
   conditional model guided), DPM-Solver++ with 10 and 25 (the unconditional model's sampler),
   and DDPM's 1,000 steps.
5. Time to sample 64 8-bit digits from the flow and the 256-way PixelCNN (notebook 07).

Writes benchmarks/results/models.json with the date, machine and thread count, and the seconds
of the reference workload (benchmarks/reference.py) before and after, so its times compare across
days by their ratio to it.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lecturelib import recipes  # noqa: E402
from reference import reference_seconds  # noqa: E402
from lecturelib.checkpoints import read_manifest  # noqa: E402
from lecturelib.data import TensorLoader, binarize_dynamic, load_digits  # noqa: E402
from lecturelib.models.autoencoder import ConvAutoencoder, ConvAutoencoderConfig  # noqa: E402
from lecturelib.models.pixelcnn import PixelCNN, PixelCNNConfig  # noqa: E402
from lecturelib.models.vae import VAE, VAEConfig  # noqa: E402
from lecturelib.train import fit, loss_terms  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "models.json"


def checkpoint_quality() -> list[dict]:
    """One row per recorded metric of every checkpoint (NLL, -ELBO, IWAE-100, FCD, ...)."""
    rows = []
    for name, entry in sorted(read_manifest().items()):
        start = time.perf_counter()
        measured, _ = recipes.measure(recipes.get_recipe(name), recipes.load_pretrained(name))
        seconds = time.perf_counter() - start
        rtol = recipes.get_recipe(name).rtol  # the tolerance tests/test_pretrained.py allows
        for key, recorded in entry["metric"].items():
            rows.append({"checkpoint": name, "metric": key, "manifest": recorded,
                         "measured": measured[key], "rtol": rtol,
                         "evaluate_seconds": round(seconds, 1),
                         "train_seconds": entry.get("train_seconds")})
            print(f"  {name:18s} {key:22s} manifest {recorded:9.4f}  measured {measured[key]:9.4f}",
                  flush=True)
    return rows


def _bare_loop(model, loader, num_steps):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    step = 0
    for batch in loader:
        loss, _ = loss_terms(model.loss(batch[0]))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        if step == num_steps:
            break


def _fit_loop(model, loader, num_steps):
    with contextlib.redirect_stderr(io.StringIO()):  # the bar is drawn, just not to the terminal
        fit(model, loader, num_epochs=1, max_steps=num_steps, lr=1e-3, progress=True)


def fit_overhead(repeats: int = 4) -> list[dict]:
    x, _ = load_digits("train")
    cases = [("autoencoder", lambda: ConvAutoencoder(ConvAutoencoderConfig(latent_dim=32)), 128, None, 40),
             ("vae", lambda: VAE(VAEConfig()), 128, binarize_dynamic, 40),
             ("pixelcnn", lambda: PixelCNN(PixelCNNConfig(channels=32, num_blocks=6, head_channels=32)), 64,
              binarize_dynamic, 20)]
    rows = []
    for name, build, batch_size, transform, num_steps in cases:
        times = {"bare": [], "fit": []}
        weights = {}
        _bare_loop(build(), TensorLoader(x, batch_size=batch_size, transform=transform), 3)  # warm-up
        order = [("bare", _bare_loop), ("fit", _fit_loop)]
        for repeat in range(repeats):
            for kind, loop in order if repeat % 2 == 0 else order[::-1]:  # neither always first
                torch.manual_seed(0)  # the same initial weights and binarization draws
                model = build()
                loader = TensorLoader(x, batch_size=batch_size, shuffle=True, transform=transform,
                                      generator=torch.Generator().manual_seed(1))
                start = time.perf_counter()
                loop(model, loader, num_steps)
                times[kind].append(time.perf_counter() - start)
                weights[kind] = torch.cat([p.detach().flatten() for p in model.parameters()])
        same = torch.equal(weights["bare"], weights["fit"])
        bare, fitted = statistics.median(times["bare"]), statistics.median(times["fit"])
        row = {"model": name, "steps": num_steps, "batch_size": batch_size,
               "bare_images_per_s": round(num_steps * batch_size / bare, 1),
               "fit_images_per_s": round(num_steps * batch_size / fitted, 1),
               "fit_overhead_percent": round(100 * (fitted / bare - 1), 1), "same_weights": same}
        rows.append(row)
        print(f"  {name:12s} bare {row['bare_images_per_s']:7.1f} img/s   fit "
              f"{row['fit_images_per_s']:7.1f} img/s   overhead {row['fit_overhead_percent']:+5.1f} %"
              f"   same final weights: {same}", flush=True)
    return rows


def pixelcnn_sampling(n: int = 64) -> dict:
    model = recipes.load_pretrained("pixelcnn")
    model.sample(2)  # warm-up
    seconds, samples = {}, {}
    for cropped in (True, False):
        start = time.perf_counter()
        samples[cropped] = model.sample(n, generator=torch.Generator().manual_seed(0), fast=cropped)
        seconds[cropped] = time.perf_counter() - start
    row = {"digits": n, "cropped_seconds": round(seconds[True], 2),
           "full_seconds": round(seconds[False], 2),
           "speedup": round(seconds[False] / seconds[True], 2),
           "same_samples": torch.equal(samples[True], samples[False])}
    print(f"  {n} digits: full-image passes {row['full_seconds']} s, cropped {row['cropped_seconds']} s"
          f" -> {row['speedup']}x; same digits: {row['same_samples']}", flush=True)
    return row


def diffusion_sampling(n: int = 64) -> list[dict]:
    """Seconds to draw n digits from the shipped diffusion models: DDIM and DPM-Solver++ with
    several step counts (the conditional model guided, two network passes per step) and, unguided,
    DDPM's 1,000 steps."""
    rows = []
    for name, guidance in (("diffusion", 0.0), ("cdiffusion", recipes.GUIDANCE)):
        model = recipes.load_pretrained(name)
        labels = torch.arange(n) % 10 if model.config.num_classes else None
        model.sample(2, steps=2, labels=None if labels is None else labels[:2], guidance=guidance)  # warm-up
        for method, steps in ([("ddim", s) for s in (5, 10, 25, 50, 100)]
                              + [("dpm", s) for s in (10, 15, 25)] + [("ddpm", None)]):
            if method == "ddpm" and labels is not None:
                continue
            start = time.perf_counter()
            model.sample(n, steps=steps, method=method, labels=labels, guidance=guidance,
                         generator=torch.Generator().manual_seed(0))
            seconds = time.perf_counter() - start
            rows.append({"checkpoint": name, "method": method, "steps": steps or model.config.num_steps,
                         "guidance": guidance, "digits": n, "seconds": round(seconds, 2)})
            print(f"  {name:10s} {method} {rows[-1]['steps']:>4} steps: {n} digits in {seconds:6.2f} s",
                  flush=True)
    return rows


def grey_sampling(n: int = 64) -> dict:
    """Seconds to draw n 8-bit digits (notebook 07): the flow in one pass (target: 64 in 1 s), the
    256-way PixelCNN pixel by pixel with its cache, and a few rows of its plain loop, per row."""
    flow, pixelcnn = recipes.load_pretrained("flow"), recipes.load_pretrained("grey_pixelcnn")
    flow.sample(2)  # warm-up
    timings = {}
    for name, draw in (("flow", lambda: flow.sample(n, generator=torch.Generator().manual_seed(0))),
                       ("grey_pixelcnn", lambda: pixelcnn.sample(n, generator=torch.Generator().manual_seed(0))),
                       ("grey_pixelcnn_plain_2_rows", lambda: pixelcnn.sample(
                           n, generator=torch.Generator().manual_seed(0), rows=2, cached=False))):
        start = time.perf_counter()
        draw()
        timings[name] = round(time.perf_counter() - start, 2)
        print(f"  {name:28s} {n} digits in {timings[name]:6.2f} s", flush=True)
    return {"digits": n, "seconds": timings}


def main() -> int:
    before = reference_seconds()
    print(f"reference workload: {before:.2f} s", flush=True)
    print("checkpoints, re-evaluated:", flush=True)
    quality = checkpoint_quality()
    print("training throughput, fit() vs a bare loop:", flush=True)
    overhead = fit_overhead()
    print("PixelCNN sampling:", flush=True)
    sampling = pixelcnn_sampling()
    print("diffusion sampling:", flush=True)
    diffusion = diffusion_sampling()
    print("8-bit digits (notebook 07):", flush=True)
    grey = grey_sampling()
    after = reference_seconds()
    print(f"reference workload: {after:.2f} s after (before: {before:.2f} s)", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "reference_seconds": {"before": round(before, 3), "after": round(after, 3)},
        "checkpoints": quality, "fit_overhead": overhead, "pixelcnn_sampling": sampling,
        "diffusion_sampling": diffusion, "grey_sampling": grey,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    ok = all(abs(r["measured"] - r["manifest"]) <= r["rtol"] * abs(r["manifest"]) for r in quality)
    return 0 if ok and all(r["same_weights"] for r in overhead) else 1


if __name__ == "__main__":
    sys.exit(main())
