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


def call(*args: str, capsys) -> tuple[int, str, str]:
    """The command line in this process (`python -m lecturelib ...`): exit code, stdout, stderr.
    The processes above show the module commands start; argument handling needs no new process."""
    from lecturelib.__main__ import main

    try:
        main(list(args))
        code = 0
    except SystemExit as stop:
        code = stop.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_and_bad_arguments(capsys):
    code, out, _ = call("train", "--list", capsys=capsys)
    assert code == 0 and "pixelcnn" in out and "epochs" in out
    code, _, err = call("train", "no_such_model", capsys=capsys)
    assert code == 2 and "invalid choice" in err
    code, _, err = call("train", "vae", "--epochs", "0", capsys=capsys)
    assert code == 2 and "--epochs must be at least 1" in err


def test_training_refuses_to_overwrite_a_shipped_checkpoint_unless_asked(capsys):
    before = (ROOT / "data" / "checkpoints" / "manifest.json").read_bytes()
    code, _, err = call("train", "autoencoder_z2", "--epochs", "1", capsys=capsys)
    assert code == 2
    assert "autoencoder_z2.pt is a shipped checkpoint: training would replace it, its manifest entry and its " \
           "stored files. Pass --overwrite to replace them, or --root DIR" in err.replace("\n", " ")
    assert (ROOT / "data" / "checkpoints" / "manifest.json").read_bytes() == before
    assert "--overwrite" in call("train", "--help", capsys=capsys)[1]


def test_one_command_line_holds_train_remeasure_and_recap(capsys):
    """`python -m lecturelib COMMAND` is the one place; the old module commands are the same."""
    code, out, _ = call("--help", capsys=capsys)
    assert code == 0 and all(command in out for command in ("train", "remeasure", "recap"))
    code, _, err = call("remeasure", "no_such_model", capsys=capsys)
    assert code == 2 and "invalid choice" in err
    code, out, _ = call("recap", "--help", capsys=capsys)
    assert code == 0 and "--draw-samples" in out
    code, _, err = call("fly", capsys=capsys)
    assert code == 2 and "invalid choice" in err
    modules = run("--help", module="lecturelib.recap"), run("--list")  # the old module commands
    assert modules[0].returncode == 0 and "python -m lecturelib.recap" in modules[0].stdout
    assert modules[1].returncode == 0 and modules[1].stdout == call("train", "--list", capsys=capsys)[1]
