"""`pip install .` installs the whole library: a wheel is built from the sources (offline, no
build isolation), installed into a fresh virtual environment, every module of lecturelib is
imported from there (not from this clone) and one notebook-sized call is made. And
environment.yml lists exactly the dependencies of pyproject.toml, the single source of them."""

import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def requirement_names(requirements):
    return {re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].lower(): r.replace(" ", "") for r in requirements}


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = requirement_names(project["dependencies"] + project["optional-dependencies"]["dev"])
    pip_lines = re.findall(r"^\s+- (.+)$", (ROOT / "environment.yml").read_text().split("- pip:")[1],
                           re.M)
    editable = [line for line in pip_lines if line.startswith("-e")]
    assert editable == ["-e .[dev]"], "environment.yml must install the repo with its dev extra"
    listed = requirement_names([line for line in pip_lines if not line.startswith("-e")])
    assert listed == declared, "environment.yml and pyproject.toml disagree; keep them equal"


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install .` would install, built from a copy of the sources (so the build
    leaves nothing in the clone), offline."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source)
    shutil.copytree(ROOT / "lecturelib", source / "lecturelib", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
        "-w", dist, source)
    (built,) = dist.glob("genmodels-*.whl")
    return built


def test_the_wheel_holds_every_module_of_lecturelib(wheel):
    inside = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}
    modules = {str(path.relative_to(ROOT)) for path in (ROOT / "lecturelib").rglob("*.py")}
    assert modules - inside == set(), "modules missing from the wheel"
    assert {"lecturelib/models/vae.py", "lecturelib/train/__init__.py", "lecturelib/exercises/vae.py",
            "lecturelib/data/files.py"} <= inside


INSTALLED = r"""
import importlib, os, pkgutil, sys
import lecturelib
home = os.path.dirname(lecturelib.__file__)
assert home.startswith(sys.prefix), f"lecturelib imported from {home}, not from the fresh environment"
names = [m.name for m in pkgutil.walk_packages(lecturelib.__path__, "lecturelib.")]
for name in names:
    module = importlib.import_module(name)
    assert module.__file__.startswith(home), (name, module.__file__)
print(len(names), "modules")

import torch
from lecturelib import config, data, recipes, train
from lecturelib.models.vae import VAE, VAEConfig
try:  # without GENMODELS_DATA an installed package has no data/ of its own, and says so
    data.load_digits("test")
    raise AssertionError("no error without data")
except data.DataError as err:
    assert "There is no data/ folder at" in str(err) and "Set GENMODELS_DATA to the data/ folder" in str(err), err
os.environ["GENMODELS_DATA"] = sys.argv[1]
# notebook-sized: the shipped VAE's digits, and a few training steps of a fresh one
digits = recipes.load_pretrained("vae").sample(16, generator=config.seeded(0))
assert digits.shape == (16, 1, 28, 28)
x, _ = data.load_digits("train")
with config.isolated_seed(0) as generator:
    loader = data.TensorLoader(x[:512], batch_size=128, shuffle=True, generator=generator,
                               transform=lambda x: data.binarize_dynamic(x, generator))
    history = train.fit(VAE(VAEConfig()), loader, num_epochs=2, progress=False)
assert history.steps["loss"][-1] < history.steps["loss"][0], history.steps["loss"]
print("trained", history.num_steps, "steps")
"""


def test_the_installed_wheel_imports_every_module_and_runs_a_notebook_call(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--no-deps", "-q", wheel)
    # torch and the rest come from this environment's site-packages, added as a plain path: its
    # .pth files (among them the editable install of this clone) are not run in the fresh one
    fresh = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (fresh / "course_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    result = run(python, "-c", INSTALLED, ROOT / "data", cwd=tmp_path)  # not the clone: no lecturelib on the path
    assert re.search(r"^\d+ modules$", result.stdout, re.M) and "trained 8 steps" in result.stdout
