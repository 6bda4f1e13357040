"""How the shipped diffusion checkpoints sample: guidance w, the sampler (DDIM or DPM-Solver++) and
its steps, chosen on the TRAINING
digits. Each setting draws 512 digits (seeded chunks of 64, as the recap's samples), scored in the
recap's binary domain against the 8,000 binarized training digits, never the test digits: the
Fréchet classifier distance (with its spread over chunks), the share the classifier reads
(top probability >= 0.9) and, for the conditional model, the share read as the digit asked for.
The time is per 64 digits (the mean over the 8 chunks) on this machine.

    .venv/bin/python benchmarks/diffusion_choices.py                  # every sweep (about 30 min)
    .venv/bin/python benchmarks/diffusion_choices.py guided_steps     # one of them

Results: benchmarks/results/diffusion_choices.json (one entry per sweep, kept across runs).
The comments on `recipes.GUIDANCE` and the samplers cite these numbers.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lecturelib import recipes  # noqa: E402
from lecturelib.data import load_digits  # noqa: E402
from lecturelib.metrics import classifier_accuracy, confident_share, fcd_with_spread  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "diffusion_choices.json"
SAMPLES = 512

# sweep -> (checkpoint, [(guidance w, steps, sampler), ...])
SWEEPS = {
    "guidance": ("cdiffusion", [(w, recipes.DIFFUSION_STEPS, "ddim") for w in (0.0, 0.5, 1.0, 2.0)]),
    "guided_steps": ("cdiffusion", [(0.5, s, "ddim") for s in (10, 15, 20, 25)]),
    "unguided_steps": ("diffusion", [(0.0, s, "ddim") for s in (10, 15, 25, 50)]),
    # DPM-Solver++(2M) on log-SNR steps, against DDIM's 100 steps (near where its ODE ends)
    "unguided_sampler": ("diffusion", [(0.0, s, "dpm") for s in (10, 15, 25)] + [(0.0, 100, "ddim")]),
    "guided_sampler": ("cdiffusion", [(0.5, s, "dpm") for s in (15, 25)]
                       + [(0.5, 100, "ddim")]),
    # weaker guidance, with either sampler (w = 0 by DDIM: the "guidance" sweep)
    "guidance_low": ("cdiffusion", [(0.0, 25, "dpm")]
                     + [(w, 25, m) for w in (0.1, 0.25) for m in ("ddim", "dpm")]),
    "guidance_low_steps": ("cdiffusion", [(0.1, s, "dpm") for s in (15, 20)]),
}
# sweeps repeated on other start noises: the chunks seeded 1000, 1001, ... instead of 0, 1, ...
OTHER_NOISE = {"unguided_sampler_other_noise": ("diffusion", [(0.0, 25, "ddim"), (0.0, 25, "dpm")]),
               "guided_other_noise": ("cdiffusion", [(0.5, 25, "ddim"), (0.1, 25, "dpm"), (0.1, 15, "dpm")])}
FIRST_SEED = 1000


def score(model: torch.nn.Module, guidance: float, steps: int, method: str, reference: torch.Tensor,
          classifier: torch.nn.Module, first_seed: int = 0) -> dict:
    conditional = bool(model.config.num_classes)

    def draw(n: int, generator: torch.Generator) -> torch.Tensor:
        generator = torch.Generator().manual_seed(first_seed + generator.initial_seed())
        labels = torch.arange(n) % 10 if conditional else None
        return model.sample(n, steps=steps, method=method, generator=generator, labels=labels,
                            guidance=guidance if conditional else 0.0)

    start = time.perf_counter()
    samples = recipes.as_coins(recipes.draw_in_chunks(draw, SAMPLES))
    seconds = (time.perf_counter() - start) * recipes.SAMPLE_CHUNK / SAMPLES
    fcd = fcd_with_spread(samples, reference, classifier)
    row = {"guidance": guidance, "sampler": method, "steps": steps, "fcd_train": round(fcd.value, 2),
           "fcd_spread": round(fcd.spread, 2), "readable": round(confident_share(samples, classifier), 3),
           "seconds_per_64": round(seconds, 2)}
    if conditional:
        row["asked_digit"] = round(classifier_accuracy(samples, recipes.labels_in_turn(len(samples)),
                                                       classifier), 3)
    print(row, flush=True)
    return row


def main(names: list[str]) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    classifier = recipes.load_pretrained("classifier")
    x_train, _ = load_digits("train")
    reference = recipes.as_coins(x_train, recipes.FLOOR_BINARIZATION_SEED)
    for name in names or [*SWEEPS, *OTHER_NOISE]:
        checkpoint, settings = {**SWEEPS, **OTHER_NOISE}[name]
        first_seed = FIRST_SEED if name in OTHER_NOISE else 0
        print(f"== {name} ({checkpoint})", flush=True)
        model = recipes.load_pretrained(checkpoint)
        model.sample(2, steps=2, labels=torch.arange(2) if model.config.num_classes else None)  # warm-up
        results[name] = {"checkpoint": checkpoint, "samples": SAMPLES, "first_seed": first_seed,
                         "rows": [score(model, w, steps, method, reference, classifier, first_seed)
                                  for w, steps, method in settings]}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
