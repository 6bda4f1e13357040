"""The command lines, one module (`python -m lecturelib train|remeasure|recap`): training makes a
checkpoint with its manifest entry (command, every training setting, metric, time); bad arguments
are refused with a message."""

import json
import subprocess
import sys
from pathlib import Path

import torch

from lecturelib.recipes import get_recipe, load_pretrained

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, module: str = "lecturelib.train") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def test_train_writes_a_checkpoint_that_loads_and_records_how_it_was_made(tmp_path):
    result = run("autoencoder_z2", "--epochs", "1", "--seed", "3", "--root", str(tmp_path))
    assert result.returncode == 0, result.stderr
    entry = json.loads((tmp_path / "manifest.json").read_text())["checkpoints"]["autoencoder_z2"]
    assert entry["command"] == "python -m lecturelib.train autoencoder_z2 --epochs 1 --seed 3"
    expected = {**get_recipe("autoencoder_z2").training.__dict__, "epochs": 1, "seed": 3}
    assert entry["training"] == json.loads(json.dumps(expected))  # tuples become lists in JSON
    assert set(entry["metric"]) == {"test_squared_error", "test_recon_nats"}
    assert entry["train_seconds"] > 0
    model = load_pretrained("autoencoder_z2", root=str(tmp_path))
    assert model.encode(torch.zeros(1, 1, 28, 28)).shape == (1, 2)
    assert "autoencoder_z2: test_squared_error = " in result.stdout


def test_list_and_bad_arguments():
    listed = run("--list")
    assert listed.returncode == 0 and "pixelcnn" in listed.stdout and "epochs" in listed.stdout
    unknown = run("no_such_model")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
    zero = run("vae", "--epochs", "0")
    assert zero.returncode == 2 and "--epochs must be at least 1" in zero.stderr


def test_training_refuses_to_overwrite_a_shipped_checkpoint_unless_asked():
    before = (ROOT / "data" / "checkpoints" / "manifest.json").read_bytes()
    refused = run("autoencoder_z2", "--epochs", "1")
    assert refused.returncode == 2
    assert "autoencoder_z2.pt is a shipped checkpoint: training would replace it, its manifest entry and its " \
           "stored files. Pass --overwrite to replace them, or --root DIR" in refused.stderr.replace("\n", " ")
    assert (ROOT / "data" / "checkpoints" / "manifest.json").read_bytes() == before
    assert "--overwrite" in run("--help").stdout


def test_one_command_line_holds_train_remeasure_and_recap():
    """`python -m lecturelib COMMAND` is the one place; the old module commands are the same."""
    top = run("--help", module="lecturelib")
    assert top.returncode == 0 and all(command in top.stdout for command in ("train", "remeasure", "recap"))
    listed = run("train", "--list", module="lecturelib")
    assert listed.returncode == 0 and listed.stdout == run("--list").stdout
    unknown = run("remeasure", "no_such_model", module="lecturelib")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
    recap = run("--help", module="lecturelib.recap")
    assert recap.returncode == 0 and "--draw-samples" in recap.stdout and "python -m lecturelib.recap" in recap.stdout
    nothing = run("fly", module="lecturelib")
    assert nothing.returncode == 2 and "invalid choice" in nothing.stderr
