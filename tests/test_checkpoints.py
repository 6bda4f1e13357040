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


# ---------------------------------------------------------------------------------------------
# The manifest itself, and the files stored beside the checkpoints (issue 32)
# ---------------------------------------------------------------------------------------------

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

from lecturelib import checkpoints  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_a_missing_manifest_says_restore_it_not_train_it(saved, monkeypatch):
    _, root = saved
    (root / "manifest.json").unlink()
    with pytest.raises(CheckpointError, match=r"The manifest .*manifest.json is missing, so no checkpoint can be "
                                              r"checked or loaded. Restore it with `git checkout -- manifest.json` in"):
        load_checkpoint("tiny", root=root)
    save_checkpoint(tiny(), "again", command="c", metric={}, root=root)  # a new folder: no manifest needed yet
    assert set(read_manifest(root)) == {"again"}
    monkeypatch.setattr(checkpoints, "MANIFEST", "deleted.json")  # the shipped one, as if deleted
    with pytest.raises(CheckpointError, match=r"Restore it with `git checkout -- data/checkpoints/deleted.json`\.$"):
        load_checkpoint("vae")


def test_a_manifest_entry_without_its_file_is_named(saved):
    _, root = saved
    manifest = json.loads((root / "manifest.json").read_text())
    del manifest["checkpoints"]["tiny"]["file"]
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match=r"manifest.json: the entry 'tiny' has no 'file' \(the checkpoint's "
                                              r"file name and its sha256\). Restore the manifest with .*or retrain it "
                                              r"with `python -m lecturelib.train tiny`"):
        load_checkpoint("tiny", root=root)


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """GENMODELS_DATA at a copy of the manifest and of the stored files, to break them safely."""
    (tmp_path / "checkpoints").mkdir()
    shutil.copy(ROOT / "data" / "checkpoints" / "manifest.json", tmp_path / "checkpoints")
    shutil.copytree(ROOT / "data" / "samples", tmp_path / "samples")
    monkeypatch.setenv("GENMODELS_DATA", str(tmp_path))
    return tmp_path


def _flip_a_byte(path: Path, where: int = -200) -> None:
    blob = bytearray(path.read_bytes())
    blob[where] ^= 0x01
    path.write_bytes(bytes(blob))


def test_every_shipped_stored_file_carries_its_own_sha256():
    stored = {file: sha for entry in read_manifest().values() for file, sha in entry.get("stored_sha256", {}).items()}
    on_disk = {path.name: sha256_file(path) for path in (ROOT / "data" / "samples").glob("*.pt")}
    assert stored == on_disk


@pytest.mark.parametrize("name, load", [("pixelcnn", checkpoints.load_samples),
                                        ("pixelcnn", checkpoints.load_log_likelihoods),
                                        ("vae", checkpoints.load_log_likelihoods),
                                        ("cdiffusion", checkpoints.load_samples)])
def test_a_flipped_byte_in_a_stored_file_is_refused(data_copy, name, load):
    load(name)  # the copy loads
    path = checkpoints.samples_path(name) if load is checkpoints.load_samples else checkpoints.log_likelihoods_path(name)
    _flip_a_byte(path)
    with pytest.raises(checkpoints.SamplesError, match=rf"{path.name} does not match its manifest entry \(sha256 "
                                                       r"\w{12}\.\.\. instead of \w{12}\.\.\.\): it is corrupt or was "
                                                       r"changed after it was stored\. Restore it with `git checkout"):
        load(name)


def test_a_stored_file_rewritten_with_the_same_checkpoint_sha256_is_refused(data_copy):
    payload = torch.load(checkpoints.samples_path("pixelcnn"), weights_only=True)
    torch.save({**payload, "bits": torch.zeros_like(payload["bits"])}, checkpoints.samples_path("pixelcnn"))
    with pytest.raises(checkpoints.SamplesError, match="pixelcnn.pt does not match its manifest entry"):
        checkpoints.load_samples("pixelcnn")


def test_storing_records_the_sha256_and_a_stored_file_without_one_is_refused(data_copy):
    digits = torch.bernoulli(torch.full((3, 1, 28, 28), 0.2))
    path = checkpoints.store_samples("pixelcnn", digits, chunk=64, seconds=1.0)
    assert read_manifest()["pixelcnn"]["stored_sha256"]["pixelcnn.pt"] == sha256_file(path)
    assert torch.equal(checkpoints.load_samples("pixelcnn"), digits)
    manifest = json.loads((data_copy / "checkpoints" / "manifest.json").read_text())
    del manifest["checkpoints"]["pixelcnn"]["stored_sha256"]
    (data_copy / "checkpoints" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(checkpoints.SamplesError, match=r"pixelcnn.pt has no sha256 in the manifest .*entry "
                                                       r"'pixelcnn', \"stored_sha256\"\), so it cannot be checked"):
        checkpoints.load_samples("pixelcnn")
