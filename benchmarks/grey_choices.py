"""Which choices help the grey-level models (notebook 07)? Each probe trains one configuration on
7,000 of the 8,000 training digits (`Training.hold_out`) and scores it after every epoch on the
other 1,000: a validation split, so the test digits choose nothing. It reports bits/dim on the 8-bit
digits per epoch (the flow's: its dequantization bound, one draw of u) for the weights being
trained (not their moving average), and the digits per second.

    .venv/bin/python benchmarks/grey_choices.py flow_3x4      # one probe (or several)
    .venv/bin/python benchmarks/grey_choices.py --list

Results: benchmarks/results/grey_choices.json (one entry per probe, kept across runs).
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lecturelib.config import isolated_seed  # noqa: E402
from lecturelib.models.flow import FlowConfig, RealNVP  # noqa: E402
from lecturelib.models.grey_pixelcnn import GreyPixelCNN, GreyPixelCNNConfig  # noqa: E402
from lecturelib.recipes import Training, train_on_digits  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "grey_choices.json"
BASE = dict(batch_size=64, lr=1e-3, schedule="cosine", ema=0.999, hold_out=1000)
CLIP = (("grad_clip", 100.0),)

PROBES = {
    # the flow: couplings per scale, width, depth of each coupling network
    "flow_4_6_4": (RealNVP, FlowConfig(), Training(epochs=12, **BASE, options=CLIP)),
    "flow_4_4_4_wide": (RealNVP, FlowConfig(couplings=(4, 4, 4), hidden=(32, 48, 64), num_blocks=2),
                        Training(epochs=12, **BASE, options=CLIP)),
    "flow_narrow": (RealNVP, FlowConfig(hidden=(24, 32, 48)), Training(epochs=12, **BASE, options=CLIP)),
    # the 256-way PixelCNN: width and depth (the probe: 64 x 8 residual blocks, 1.15 at 11 min;
    # the shipped one: 64 x 10, about 60 digits/s on 2 cores; 96 x 8 about 40)
    "grey_64x10": (GreyPixelCNN, GreyPixelCNNConfig(), Training(epochs=6, **BASE)),
    "grey_96x8": (GreyPixelCNN, GreyPixelCNNConfig(channels=96, num_blocks=8), Training(epochs=6, **BASE)),
    "grey_64x16": (GreyPixelCNN, GreyPixelCNNConfig(num_blocks=16), Training(epochs=6, **BASE)),
}


def bits(nats: float) -> float:
    return nats / (784 * math.log(2))


def run(name: str) -> dict:
    build, config, training = PROBES[name]
    with isolated_seed(training.seed) as generator:
        model = build(config)
        start = time.perf_counter()
        history = train_on_digits(model, training, generator, progress=True)
        seconds = time.perf_counter() - start
    result = {"config": dataclasses.asdict(config), "training": dataclasses.asdict(training),
              "parameters": sum(p.numel() for p in model.parameters()),
              "seconds": round(seconds, 1), "digits_per_second": round(training.epochs * 7000 / seconds, 1),
              "train_bits_per_dim": [round(bits(v), 4) for v in history.epochs["loss"]],
              "val_bits_per_dim": [round(bits(v), 4) for v in history.epochs["val_loss"]]}
    print(f"{name}: val {result['val_bits_per_dim'][-1]:.3f} bits/dim after {training.epochs} epochs, "
          f"{seconds / 60:.1f} min, {result['digits_per_second']} digits/s", flush=True)
    return result


def main(names: list[str]) -> None:
    if not names or names == ["--list"]:
        print("probes:", ", ".join(PROBES))
        return
    unknown = [n for n in names if n not in PROBES]
    if unknown:
        raise SystemExit(f"unknown probe(s) {unknown}; known: {', '.join(PROBES)}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in names:
        results[name] = run(name)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
