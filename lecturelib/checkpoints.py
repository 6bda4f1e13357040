"""Pretrained weights in data/checkpoints/, each listed in manifest.json, and stored samples.

A checkpoint file `NAME.pt` holds plain data only (a state_dict and the model's config as a dict),
so it loads with `torch.load(..., weights_only=True)`, which cannot run code hidden in a file.
Its manifest entry records what a reader needs to trust and reproduce it:

    "vae": {"file": "vae.pt", "sha256": "...", "bytes": 812345,
            "command": "python -m lecturelib.train vae", "metric": {"test_neg_elbo": 98.1},
            "train_seconds": 512.3, "torch": "2.14.1", "created": "2026-11-26"}

load_checkpoint() checks the file against the manifest before unpickling anything, and every
failure (no entry, missing file, changed or corrupt file) raises CheckpointError with what to do.

Some models are too slow to sample 2,000 digits live (the pixel models draw one pixel per network
pass). Their samples are drawn once (`python -m lecturelib.recap --draw-samples`) and stored in
data/samples/NAME.pt as packed bits, bound to the sha256 of the checkpoint that drew them, so a
retrained checkpoint with stale samples is refused (SamplesError) rather than silently used.
Each stored file's own sha256 is in its checkpoint's manifest entry too ("stored_sha256"), and
checked before it is read: a flipped byte is refused like a changed checkpoint.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple, Sequence

import torch
from torch import nn

from .config import model_device
from .data import data_dir

MANIFEST = "manifest.json"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unlisted, changed or unreadable; the message says what to do."""


class Checkpoint(NamedTuple):
    """A loaded checkpoint: the weights, the model's config and its manifest entry."""

    state_dict: dict[str, torch.Tensor]
    config: dict[str, Any]
    entry: dict[str, Any]


def checkpoint_dir(root: str | Path | None = None) -> Path:
    return Path(root) if root is not None else data_dir() / "checkpoints"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _restore(path: Path) -> str:
    """How to get a shipped file back: `git checkout -- data/...` from the clone."""
    try:
        return f"`git checkout -- {path.resolve().relative_to(Path(__file__).resolve().parent.parent)}`"
    except ValueError:  # not in the clone (GENMODELS_DATA, --root): from the folder it is in
        return f"`git checkout -- {path.name}` in {path.parent}"


def read_manifest(root: str | Path | None = None, missing_ok: bool = False) -> dict[str, dict[str, Any]]:
    """The manifest's entries by name; {} when there is no manifest yet and `missing_ok` (a new
    folder that checkpoints are saved into), else a CheckpointError saying to restore it."""
    path = checkpoint_dir(root) / MANIFEST
    if not path.is_file():
        if missing_ok:
            return {}
        raise CheckpointError(f"The manifest {path} is missing, so no checkpoint can be checked or loaded. "
                              f"Restore it with {_restore(path)}.")
    try:
        entries = json.loads(path.read_text())["checkpoints"]
        bad = {name: [k for k in ("file", "sha256") if not isinstance(entry.get(k), str)]
               for name, entry in entries.items()}
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        raise CheckpointError(f"{path} is not a valid manifest ({err}); restore it with {_restore(path)}") from None
    for name, missing in bad.items():
        if missing:
            raise CheckpointError(f"{path}: the entry {name!r} has no {' and no '.join(map(repr, missing))} (the "
                                  f"checkpoint's file name and its sha256). Restore the manifest with "
                                  f"{_restore(path)}, or retrain it with `python -m lecturelib.train {name}`.")
    return entries


def save_checkpoint(model: nn.Module, name: str, *, command: str, metric: dict[str, float],
                    config: Any = None, training: dict[str, Any] | None = None,
                    train_seconds: float | None = None, root: str | Path | None = None,
                    validation: list[float] | None = None) -> Path:
    """Write NAME.pt and its manifest entry; return the file's path.

    Args:
        command: the shell command that trains this checkpoint from scratch.
        metric: the quality it reached, e.g. {"test_nll_nats": 88.2}; tests re-evaluate it.
        config: the model's config (a dataclass or a dict of plain values) to rebuild it.
        training: every setting of the training run (recipes.Training as a dict).
        validation: the loss on the held-out training digits after each epoch, when some were held out.
    """
    if not name.isidentifier():
        raise ValueError(f"checkpoint name must be a plain identifier, got {name!r}")
    folder = checkpoint_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    config_dict = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config or {})
    state_dict = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    path = folder / f"{name}.pt"
    torch.save({"format": 1, "name": name, "config": config_dict, "state_dict": state_dict}, path)
    entries = read_manifest(folder, missing_ok=True)
    entries[name] = {
        "file": path.name,
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        "command": command,
        "training": training,
        "metric": {key: float(value) for key, value in metric.items()},
        "train_seconds": None if train_seconds is None else round(float(train_seconds), 1),
        "torch": torch.__version__.split("+")[0],
        "created": datetime.date.today().isoformat(),
    }
    if validation is not None:
        entries[name]["validation_loss"] = [round(float(value), 3) for value in validation]
    manifest = {"checkpoints": dict(sorted(entries.items()))}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def record_metric(name: str, metric: dict[str, float], root: str | Path | None = None) -> None:
    """Replace the recorded metric of checkpoint NAME (its file untouched): for when the way a
    metric is measured changes, not the model. The date of the new measurement is kept too."""
    folder = checkpoint_dir(root)
    entries = read_manifest(folder)
    if name not in entries:
        raise CheckpointError(f"No checkpoint named {name!r} in {folder / MANIFEST}; train it with "
                              f"`python -m lecturelib.train {name}`.")
    entries[name]["metric"] = {key: float(value) for key, value in metric.items()}
    entries[name]["metric_measured"] = datetime.date.today().isoformat()
    (folder / MANIFEST).write_text(json.dumps({"checkpoints": dict(sorted(entries.items()))}, indent=2) + "\n")


def load_checkpoint(name: str, *, root: str | Path | None = None,
                    map_location: str | torch.device = "cpu") -> Checkpoint:
    """Check NAME.pt against the manifest, then load it with weights_only=True."""
    folder = checkpoint_dir(root)
    entries = read_manifest(folder)
    if name not in entries:
        known = ", ".join(sorted(entries)) or "none yet"
        raise CheckpointError(f"No checkpoint named {name!r} in {folder / MANIFEST} (known: "
                              f"{known}). Train it with `python -m lecturelib.train {name}`.")
    entry = entries[name]
    path = folder / entry["file"]
    remedy = (f"Restore it with `git checkout -- {path.name}` in {folder}, or retrain it with "
              f"`{entry.get('command', f'python -m lecturelib.train {name}')}`.")
    if not path.is_file():
        raise CheckpointError(f"Checkpoint file {path} is missing. {remedy}")
    sha = sha256_file(path)
    if sha != entry["sha256"]:
        raise CheckpointError(f"Checkpoint file {path} does not match its manifest entry "
                              f"(sha256 {sha[:12]}... instead of {entry['sha256'][:12]}...): it is "
                              f"corrupt or was changed after training. {remedy}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
        return Checkpoint(payload["state_dict"], payload["config"], entry)
    except Exception as err:  # any unpickling failure means the same thing to a student
        raise CheckpointError(f"Checkpoint file {path} could not be read ({type(err).__name__}: "
                              f"{str(err)[:200]}). {remedy}") from None


def load_weights(model: nn.Module, name: str, *, root: str | Path | None = None,
                 checkpoint: Checkpoint | None = None) -> Checkpoint:
    """Load checkpoint NAME (or an already loaded `checkpoint`) into `model`; return it."""
    if checkpoint is None:
        checkpoint = load_checkpoint(name, root=root, map_location=model_device(model))
    try:
        model.load_state_dict(checkpoint.state_dict)
    except RuntimeError as err:
        raise CheckpointError(f"Checkpoint {name!r} does not fit {type(model).__name__}: build the "
                              f"model from the checkpoint's config {checkpoint.config}. "
                              f"({str(err).splitlines()[0]})") from None
    return checkpoint


# ---------------------------------------------------------------------------------------------
# Stored samples: digits drawn once from a checkpoint, kept as packed bits
# ---------------------------------------------------------------------------------------------

class SamplesError(CheckpointError):
    """Stored samples are missing, unreadable or drawn from another version of the checkpoint."""


def pack_bits(x: torch.Tensor) -> torch.Tensor:
    """{0, 1} images (N, 1, 28, 28) -> (N, 98) bytes, 8 pixels per byte."""
    bits = x.reshape(len(x), -1, 8).to(torch.uint8)
    return (bits << torch.arange(7, -1, -1, dtype=torch.uint8)).sum(-1, dtype=torch.uint8)


def unpack_bits(packed: torch.Tensor, shape: Sequence[int] = (1, 28, 28)) -> torch.Tensor:
    """The inverse of pack_bits: (N, 98) bytes -> float images (N, *shape) in {0, 1}."""
    bits = (packed[..., None] >> torch.arange(7, -1, -1, dtype=torch.uint8)) & 1
    return bits.reshape(len(packed), *shape).float()


def samples_path(name: str) -> Path:
    return data_dir() / "samples" / f"{name}.pt"


def store_samples(name: str, samples: torch.Tensor, *, chunk: int, seconds: float) -> Path:
    """Write data/samples/NAME.pt: {0, 1} digits drawn from checkpoint NAME in seeded chunks of
    `chunk` (seeds 0, 1, 2, ...), bound to the checkpoint's current sha256."""
    if not ((samples == 0) | (samples == 1)).all():
        raise ValueError("store_samples keeps {0, 1} digits only (8 pixels per byte)")
    path = samples_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": 1, "source": name, "checkpoint_sha256": read_manifest()[name]["sha256"],
                "chunk": chunk, "seconds": round(seconds, 1), "torch": torch.__version__.split("+")[0],
                "bits": pack_bits(samples)}, path)
    return record_stored(name, path)


def record_stored(name: str, path: Path) -> Path:
    """Write the sha256 of `path`, a file stored beside checkpoint NAME, into NAME's manifest entry
    (under "stored_sha256", by file name), so that loading it checks it first; return the path."""
    folder = checkpoint_dir()
    entries = read_manifest(folder)
    entries[name].setdefault("stored_sha256", {})[path.name] = sha256_file(path)
    (folder / MANIFEST).write_text(json.dumps({"checkpoints": dict(sorted(entries.items()))}, indent=2) + "\n")
    return path


def _load_stored(path: Path, name: str, key: str, what: str, made: str, remedy: str) -> Any:
    """payload[key] of a file stored beside checkpoint NAME, after checking it is there, readable
    and bound to the checkpoint's current sha256; else a SamplesError naming the remedy."""
    if not path.is_file():
        raise SamplesError(f"No stored {what} for {name!r} at {path}. {remedy}")
    entries = read_manifest()
    recorded = entries.get(name, {}).get("stored_sha256", {}).get(path.name)
    if recorded is None:
        raise SamplesError(f"{path} has no sha256 in the manifest ({checkpoint_dir() / MANIFEST}, entry {name!r}, "
                           f"\"stored_sha256\"), so it cannot be checked. Restore the manifest with "
                           f"{_restore(checkpoint_dir() / MANIFEST)}. {remedy}")
    sha = sha256_file(path)
    if sha != recorded:
        raise SamplesError(f"{path} does not match its manifest entry (sha256 {sha[:12]}... instead of "
                           f"{recorded[:12]}...): it is corrupt or was changed after it was stored. {remedy}")
    try:
        payload = torch.load(path, weights_only=True)
        value, sha = payload[key], payload["checkpoint_sha256"]
    except Exception as err:  # any unreadable file means the same to a student
        raise SamplesError(f"{path} could not be read ({type(err).__name__}: {str(err)[:200]}). {remedy}") from None
    if sha != entries[name]["sha256"]:
        raise SamplesError(f"{path} was {made} another version of checkpoint {name!r}. {remedy}")
    return value


def load_samples(name: str) -> torch.Tensor:
    """The stored digits of checkpoint NAME (N, 1, 28, 28), checked against its current sha256."""
    path = samples_path(name)
    remedy = (f"Restore it with `git checkout -- data/samples/{path.name}`, or draw it again with "
              f"`python -m lecturelib.recap --draw-samples {name}` (minutes).")
    return unpack_bits(_load_stored(path, name, "bits", "samples", "drawn from", remedy))


# ---------------------------------------------------------------------------------------------
# Stored measurements: each test digit's log-likelihood under a checkpoint
# ---------------------------------------------------------------------------------------------

def log_likelihoods_path(name: str) -> Path:
    return data_dir() / "samples" / f"{name}.loglik.pt"


def store_log_likelihoods(name: str, values: dict[str, torch.Tensor]) -> Path:
    """Write data/samples/NAME.loglik.pt: log p(x) (or a bound / estimate of it, by kind) of every
    test digit under checkpoint NAME, bound to the checkpoint's sha256. Written when the checkpoint
    is made (or remeasured); tests/test_pretrained.py recomputes it; the recap reads it instead of
    computing it again."""
    path = log_likelihoods_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": 1, "source": name, "checkpoint_sha256": read_manifest()[name]["sha256"],
                "values": {kind: v.detach().cpu().float() for kind, v in values.items()}}, path)
    return record_stored(name, path)


def load_log_likelihoods(name: str) -> dict[str, torch.Tensor]:
    """The stored per-test-digit log-likelihoods of checkpoint NAME, checked against its sha256."""
    path = log_likelihoods_path(name)
    remedy = (f"Restore it with `git checkout -- data/samples/{path.name}`, or compute it again with "
              f"`python -m lecturelib.train {name} --remeasure`.")
    return _load_stored(path, name, "values", "log-likelihoods", "computed for", remedy)
