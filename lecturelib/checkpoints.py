"""Pretrained weights in data/checkpoints/, each listed in manifest.json.

A checkpoint file `NAME.pt` holds plain data only (a state_dict and the model's config as a dict),
so it loads with `torch.load(..., weights_only=True)`, which cannot run code hidden in a file.
Its manifest entry records what a reader needs to trust and reproduce it:

    "vae": {"file": "vae.pt", "sha256": "...", "bytes": 812345,
            "command": "python -m lecturelib.train vae", "metric": {"test_neg_elbo": 98.1},
            "train_seconds": 512.3, "torch": "2.14.1", "created": "2026-11-26"}

load_checkpoint() checks the file against the manifest before unpickling anything, and every
failure (no entry, missing file, changed or corrupt file) raises CheckpointError with what to do.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from .data import data_dir
from .train import model_device

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


def read_manifest(root: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The manifest's entries by name ({} when there is no manifest yet)."""
    path = checkpoint_dir(root) / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())["checkpoints"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise CheckpointError(f"{path} is not a valid manifest ({err}); restore it with "
                              f"`git checkout -- {path.name}` in {path.parent}") from None


def save_checkpoint(model: nn.Module, name: str, *, command: str, metric: dict[str, float],
                    config: Any = None, train_seconds: float | None = None,
                    root: str | Path | None = None) -> Path:
    """Write NAME.pt and its manifest entry; return the file's path.

    Args:
        command: the shell command that trains this checkpoint from scratch.
        metric: the quality it reached, e.g. {"test_nll_nats": 88.2}; tests re-evaluate it.
        config: the model's config (a dataclass or a dict of plain values) to rebuild it.
    """
    if not name.isidentifier():
        raise ValueError(f"checkpoint name must be a plain identifier, got {name!r}")
    folder = checkpoint_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    config_dict = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config or {})
    state_dict = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    path = folder / f"{name}.pt"
    torch.save({"format": 1, "name": name, "config": config_dict, "state_dict": state_dict}, path)
    entries = read_manifest(folder)
    entries[name] = {
        "file": path.name,
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        "command": command,
        "metric": {key: float(value) for key, value in metric.items()},
        "train_seconds": None if train_seconds is None else round(float(train_seconds), 1),
        "torch": torch.__version__.split("+")[0],
        "created": datetime.date.today().isoformat(),
    }
    manifest = {"checkpoints": dict(sorted(entries.items()))}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return path


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
              f"`{entry['command']}`.")
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
