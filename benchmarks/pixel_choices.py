"""Which training choices help the pixel models? Each probe trains one configuration on 7,000 of
the 8,000 training digits and scores it every epoch on the other 1,000 (binarized once, seed 1):
a validation split, so the test digits never choose anything. Probes of one model family run
the same number of epochs, or the same wall time for different sizes, and report both the last
weights and their exponential moving average (one run gives both). At the end, the average
draws 512 digits: the share the course's classifier reads (metrics.confident_share), because a
lower NLL alone has not made the samples more readable.

    .venv/bin/python benchmarks/pixel_choices.py                 # every probe (about 45 min)
    .venv/bin/python benchmarks/pixel_choices.py gated_cosine    # some of them
    .venv/bin/python benchmarks/pixel_choices.py temperature     # the shipped models, tempered

`temperature` asks whether the unreadable samples are pixel noise: it draws 512 digits from each
shipped pixel checkpoint with every logit divided by T (T < 1 sharpens every coin), and scores
them against the binarized training digits (FCD) and by the readable share.

Results: benchmarks/results/pixel_choices.json (one entry per probe, kept across runs).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lecturelib.config import seeded, set_seed  # noqa: E402
from lecturelib.data import binarize_static, load_digits  # noqa: E402
from lecturelib.models.pixelcnn import (GatedPixelCNN, GatedPixelCNNConfig, PixelCNN,  # noqa: E402
                                        PixelCNNConfig)
from lecturelib.models.pixelrnn import RowLSTM, RowLSTMConfig  # noqa: E402
from lecturelib.metrics import confident_share, fcd_with_spread  # noqa: E402
from lecturelib.recipes import (FLOOR_BINARIZATION_SEED, Training, as_coins, draw_in_chunks,  # noqa: E402
                                load_pretrained, train_on_digits)
from lecturelib.train import Callback, WeightAverage  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "pixel_choices.json"
VALIDATION = 1000
SAMPLES = 512
GATED = GatedPixelCNNConfig(channels=32, num_layers=14, head_channels=64)
ROW_LSTM_1X32 = RowLSTMConfig(channels=32, hidden=32, num_layers=1, head_channels=32)  # shipped before the 48x3
BASE = dict(batch_size=64, dynamic_binarization=True)

PROBES = {
    # the gated PixelCNN of the probe (32 channels, 15 layers): schedule, averaging, shifts
    "gated_constant": (GatedPixelCNN, GATED, Training(epochs=6, **BASE, ema=0.998)),
    "gated_cosine": (GatedPixelCNN, GATED, Training(epochs=6, **BASE, schedule="cosine", ema=0.998)),
    "gated_cosine_shift1": (GatedPixelCNN, GATED,
                            Training(epochs=6, **BASE, schedule="cosine", ema=0.998, shift=1)),
    # updates: the same 6 epochs (the same time: a step's cost per digit is flat in batch size on
    # 2 cores) at batch 32, twice the updates of batch 64
    "gated_cosine_b32": (GatedPixelCNN, GATED,
                         Training(epochs=6, **{**BASE, "batch_size": 32}, schedule="cosine", ema=0.998)),
    # the plain PixelCNN: width, at about the same wall time
    "pixelcnn_48x12": (PixelCNN, PixelCNNConfig(channels=48, num_blocks=12, head_channels=64),
                       Training(epochs=9, **BASE, schedule="cosine", ema=0.998)),
    "pixelcnn_64x12": (PixelCNN, PixelCNNConfig(channels=64, num_blocks=12, head_channels=64),
                       Training(epochs=6, **BASE, schedule="cosine", ema=0.998)),
    # the Row LSTM: two layers of 64 against today's one of 32
    "row_lstm_64x2": (RowLSTM, RowLSTMConfig(channels=64, hidden=64, num_layers=2, head_channels=64),
                      Training(epochs=6, **BASE, schedule="cosine", ema=0.998)),
    # the shipped Row LSTM's recipe (20 epochs, constant rate; "last" is its number), then batch 32,
    # then batch 32 with the cosine schedule (the average is scored too, every epoch)
    "row_lstm_b64": (RowLSTM, ROW_LSTM_1X32, Training(epochs=20, **BASE, ema=0.998)),
    "row_lstm_b32": (RowLSTM, ROW_LSTM_1X32, Training(epochs=20, **{**BASE, "batch_size": 32}, ema=0.998)),
    "row_lstm_b32_cosine": (RowLSTM, ROW_LSTM_1X32,
                            Training(epochs=20, **{**BASE, "batch_size": 32}, schedule="cosine", ema=0.998)),
    # capacity: two Row LSTM layers 48 wide (122k parameters, 3.2x the time per epoch), the
    # recipe of row_lstm_b32 otherwise
    "row_lstm_48x2_b32": (RowLSTM, RowLSTMConfig(channels=48, hidden=48, num_layers=2, head_channels=64),
                          Training(epochs=20, **{**BASE, "batch_size": 32}, ema=0.998)),
    # depth: a third layer (180k parameters, 1.16x the time per epoch of two), the same recipe;
    # each epoch's minutes are kept, so it can be compared with row_lstm_48x2_b32 both at the same
    # epoch and at the same wall time
    "row_lstm_48x3_b32": (RowLSTM, RowLSTMConfig(channels=48, hidden=48, num_layers=3, head_channels=64),
                          Training(epochs=20, **{**BASE, "batch_size": 32}, ema=0.998)),
    # width on top of depth: three layers 64 wide, the same recipe, for about the 48x3 probe's wall
    # time (compared with it at equal minutes). Measured: 1.6x the time per epoch, behind at every
    # epoch and every minute (87.58 nats and 53 % readable at 25.2 min, against 85.29 at 23.7 min
    # and 84.86, 58 % at 27.7 min for 48x3): not kept
    "row_lstm_64x3_b32": (RowLSTM, RowLSTMConfig(channels=64, hidden=64, num_layers=3, head_channels=64),
                          Training(epochs=12, **{**BASE, "batch_size": 32}, ema=0.998)),
}


def split() -> tuple[torch.Tensor, torch.Tensor]:
    """7,000 training digits (grey) and 1,000 validation digits (binarized, seed 1)."""
    x, _ = load_digits("train")
    order = torch.randperm(len(x), generator=seeded(0))
    return x[order[VALIDATION:]], binarize_static(x[order[:VALIDATION]], seed=1)


@torch.no_grad()
def nll(model: torch.nn.Module, x: torch.Tensor) -> float:
    model.eval()
    value = -torch.cat([model.log_prob(part) for part in x.split(250)]).mean().item()
    model.train()
    return value


class Validate(Callback):
    """After every epoch: validation NLL of the last weights and of their average."""

    def __init__(self, x_val: torch.Tensor, average: WeightAverage):
        self.x_val, self.average, self.rows = x_val, average, []
        self.start = time.perf_counter()

    def on_epoch_end(self, state) -> None:
        row = {"epoch": state.epoch + 1, "minutes": round((time.perf_counter() - self.start) / 60, 2),
               "val_nll": round(nll(state.model, self.x_val), 3),
               "val_nll_averaged": round(nll(self.average.averaged.module, self.x_val), 3)}
        self.rows.append(row)
        print(row, flush=True)


def probe(name: str) -> dict:
    build, config, training = PROBES[name]
    x_train, x_val = split()
    generator = set_seed(training.seed)
    model = build(config)
    # The averaging callback is made here, so the probe can score the average every epoch; the
    # recipe's own (training.ema) is switched off to avoid averaging twice.
    average = WeightAverage(model, training.ema)
    validate = Validate(x_val, average)
    start = time.perf_counter()
    train_on_digits(model, dataclasses.replace(training, ema=None), generator, progress=False,
                    x=x_train, callbacks=[average, validate])
    minutes = round((time.perf_counter() - start) / 60, 2)
    model.eval()
    samples = draw_in_chunks(lambda n, g: model.sample(n, generator=g), SAMPLES)
    readable = round(confident_share(samples, load_pretrained("classifier")), 3)
    print(f"readable share of {SAMPLES} samples (averaged weights): {readable}", flush=True)
    return {"model": build.__name__, "config": dataclasses.asdict(config),
            "training": dataclasses.asdict(training),
            "parameters": sum(p.numel() for p in model.parameters()),
            "minutes": minutes, "epochs": validate.rows, "readable_samples": readable,
            "best_val_nll": min(min(r["val_nll"], r["val_nll_averaged"]) for r in validate.rows)}


TEMPERATURES = {"gated_pixelcnn": (1.0, 0.9, 0.8, 0.7), "row_lstm": (1.0, 0.8)}


@torch.no_grad()
def temperature() -> list[dict]:
    classifier = load_pretrained("classifier")
    x_train, _ = load_digits("train")
    reference = as_coins(x_train, FLOOR_BINARIZATION_SEED)
    rows = []
    for name, temperatures in TEMPERATURES.items():
        for t in temperatures:
            model = load_pretrained(name)
            last = model.head[-1]  # the 1x1 layer that makes the logit: logit / t
            last.weight /= t
            last.bias /= t
            samples = draw_in_chunks(lambda n, g: model.sample(n, generator=g), SAMPLES)
            rows.append({"checkpoint": name, "temperature": t,
                         "fcd_train": round(fcd_with_spread(samples, reference, classifier).value, 2),
                         "readable": round(confident_share(samples, classifier), 3)})
            print(rows[-1], flush=True)
    return rows


def main(names: list[str]) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if names == ["temperature"]:
        results["temperature"] = {"samples": SAMPLES, "rows": temperature()}
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        return
    for name in names or list(PROBES):
        print(f"== {name}", flush=True)
        results[name] = probe(name)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name, result in results.items():
        if "epochs" not in result:
            continue
        last = result["epochs"][-1]
        print(f"{name:22s} {result['parameters']:>8,} params {result['minutes']:5.1f} min  val NLL "
              f"last {last['val_nll']:.2f}, averaged {last['val_nll_averaged']:.2f}, readable "
              f"{result.get('readable_samples', float('nan')):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
