"""Checkpoints: round trip, manifest contents, and a clear error for every way a file can break."""

import hashlib
import json
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from lecturelib.checkpoints import (CheckpointError, load_checkpoint, load_weights, read_manifest,
                                    save_checkpoint, sha256_file)


@dataclass
class TinyConfig:
    hidden: int = 5  # hidden units


def tiny(config=TinyConfig()):
    return nn.Sequential(nn.Linear(3, config.hidden), nn.Tanh(), nn.Linear(config.hidden, 2))


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = tiny()
    save_checkpoint(model, "tiny", command="python -m lecturelib.train tiny", metric={"acc": 0.5},
                    config=TinyConfig(), train_seconds=1.23, root=tmp_path)
    return model, tmp_path


def test_round_trip_restores_weights_and_config(saved):
    model, root = saved
    checkpoint = load_checkpoint("tiny", root=root)
    assert checkpoint.config == {"hidden": 5}
    fresh = tiny(TinyConfig(**checkpoint.config))
    load_weights(fresh, "tiny", root=root)
    x = torch.randn(4, 3)
    torch.testing.assert_close(fresh(x), model(x))


def test_manifest_records_hash_command_and_metric(saved):
    _, root = saved
    entry = read_manifest(root)["tiny"]
    assert len(entry["sha256"]) == 64 and entry["bytes"] == (root / "tiny.pt").stat().st_size
    assert entry["command"] == "python -m lecturelib.train tiny"
    assert entry["metric"] == {"acc": 0.5} and entry["train_seconds"] == 1.2


def test_saving_again_updates_only_that_entry(saved):
    _, root = saved
    save_checkpoint(tiny(), "other", command="c", metric={}, root=root)
    assert set(read_manifest(root)) == {"tiny", "other"}


def test_tampered_file_is_refused(saved):
    _, root = saved
    path = root / "tiny.pt"
    blob = bytearray(path.read_bytes())
    blob[-100] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match="does not match its manifest.*retrain it with"):
        load_checkpoint("tiny", root=root)


def test_missing_file_is_reported(saved):
    _, root = saved
    (root / "tiny.pt").unlink()
    with pytest.raises(CheckpointError, match="tiny.pt is missing.*python -m lecturelib.train tiny"):
        load_checkpoint("tiny", root=root)


def test_unknown_name_lists_the_known_ones(saved):
    _, root = saved
    with pytest.raises(CheckpointError, match=r"No checkpoint named 'vae'.*known: tiny"):
        load_checkpoint("vae", root=root)


def test_unreadable_file_with_matching_hash_is_reported(saved):
    """Garbage whose hash was (wrongly) recorded still fails with a CheckpointError."""
    _, root = saved
    (root / "tiny.pt").write_bytes(b"not a checkpoint")
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["checkpoints"]["tiny"]["sha256"] = hashlib.sha256(b"not a checkpoint").hexdigest()
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="could not be read"):
        load_checkpoint("tiny", root=root)


def test_weights_only_refuses_arbitrary_objects(tmp_path):
    """A file that needs code to unpickle is refused, even with a matching hash."""
    model = tiny()
    save_checkpoint(model, "tiny", command="c", metric={}, root=tmp_path)
    torch.save({"state_dict": model.state_dict(), "config": {}, "evil": TinyConfig()},
               tmp_path / "tiny.pt")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["checkpoints"]["tiny"]["sha256"] = sha256_file(tmp_path / "tiny.pt")
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="could not be read"):
        load_checkpoint("tiny", root=tmp_path)


def test_wrong_architecture_says_to_use_the_config(saved):
    _, root = saved
    with pytest.raises(CheckpointError, match="does not fit.*config"):
        load_weights(tiny(TinyConfig(hidden=7)), "tiny", root=root)


def test_broken_manifest_is_reported(saved):
    _, root = saved
    (root / "manifest.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not a valid manifest"):
        load_checkpoint("tiny", root=root)


def test_bad_name_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="identifier"):
        save_checkpoint(tiny(), "../escape", command="c", metric={}, root=tmp_path)


def test_record_metric_replaces_only_the_metric(saved):
    from lecturelib.checkpoints import record_metric

    _, root = saved
    before = read_manifest(root)["tiny"]
    record_metric("tiny", {"acc": 0.75}, root=root)
    after = read_manifest(root)["tiny"]
    assert after["metric"] == {"acc": 0.75} and "metric_measured" in after
    assert {k: v for k, v in after.items() if k not in ("metric", "metric_measured")} == \
           {k: v for k, v in before.items() if k != "metric"}
    load_checkpoint("tiny", root=root)  # the file still matches its entry
    with pytest.raises(CheckpointError, match="No checkpoint named 'other'"):
        record_metric("other", {"acc": 1.0}, root=root)
