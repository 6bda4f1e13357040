"""The project's own promises: an import that stays offline and fast, notebooks committed executed
with slide metadata on every cell. (One list of dependencies, and a package that installs whole:
tests/test_packaging.py.)"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}


IMPORT_ALL = """
import socket, time
def refuse(*args, **kwargs):
    raise AssertionError("lecturelib opened a network connection at import")
socket.socket.connect = socket.socket.connect_ex = socket.create_connection = refuse
start = time.perf_counter()
import lecturelib
bare = time.perf_counter() - start
import lecturelib.config, lecturelib.data, lecturelib.train, lecturelib.checkpoints
import lecturelib.metrics, lecturelib.plot, lecturelib.density, lecturelib.recipes
import lecturelib.widgets, lecturelib.exercises, lecturelib.recap, lecturelib.models.baselines
import lecturelib.models.autoencoder, lecturelib.models.pixelcnn, lecturelib.models.pixelrnn, lecturelib.models.vae, lecturelib.models.gan
print(bare, time.perf_counter() - start)
"""


def test_import_is_offline_and_quick():
    result = subprocess.run([sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    bare, everything = map(float, result.stdout.split())
    assert bare < 0.5, f"`import lecturelib` took {bare:.2f} s; it must not import torch"
    assert everything < 20, f"importing every module took {everything:.1f} s"


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_getting_started.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_executed_and_has_slide_metadata(path):
    notebook = json.loads(path.read_text())
    cells = notebook["cells"]
    missing = [i for i, c in enumerate(cells)
               if c.get("metadata", {}).get("slideshow", {}).get("slide_type") not in SLIDE_TYPES]
    assert not missing, f"cells {missing} lack slideshow.slide_type metadata"
    assert cells[0]["metadata"]["slideshow"]["slide_type"] == "slide"
    title = "".join(cells[0]["source"])
    assert "Learning goals" in title and re.search(r"[Rr]un time", title)
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code), "commit notebooks executed (make execute)"
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "executed top to bottom in one fresh kernel"
    text = json.dumps(notebook)
    assert not re.search(r"/(?:work|root|home|Users|tmp)/\w", text), "absolute machine path"
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))


SLIDE_CODE_LINES, SLIDE_CODE_WIDTH = 12, 95  # live RISE shows every line, hide-input or not


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_on_slides_is_short_and_every_slide_has_notes(path):
    cells = json.loads(path.read_text())["cells"]
    kinds = [c["metadata"]["slideshow"]["slide_type"] for c in cells]
    for cell, kind in zip(cells, kinds):
        if cell["cell_type"] != "code" or kind in ("skip", "notes"):
            continue
        lines = "".join(cell["source"]).rstrip("\n").split("\n")
        where = f"{path.name}, cell {cell.get('id')} ({lines[0][:40]!r})"
        assert len(lines) <= SLIDE_CODE_LINES, f"{where}: {len(lines)} lines on a slide; move " \
            f"plotting and bookkeeping into lecturelib, or the cell off the slides (slide_type skip)"
        wide = [len(line) for line in lines if len(line) > SLIDE_CODE_WIDTH]
        assert not wide, f"{where}: lines of {wide} characters overflow a slide"
    for i, kind in enumerate(kinds):
        if kind in ("slide", "subslide"):
            following = kinds[i + 1:]
            end = next((j for j, k in enumerate(following) if k in ("slide", "subslide")), len(following))
            assert "notes" in following[:end], f"{path.name}: the slide at cell {i} has no notes cell"


LAYERS = ["config", "data", "density", "models", "metrics", "train", "checkpoints", "recipes",
          "recap", "plot", "widgets", "exercises"]  # the order of lecturelib/__init__.py's map


def test_the_module_map_names_every_file_and_only_files():
    """lecturelib/__init__.py's map matches the tree: every file is named (a package's __init__ by
    its layer, `lecturelib.NAME`; any other file by its path, e.g. `recipes/samples.py`), and every
    path the map names exists."""
    import re

    documented = (ROOT / "lecturelib" / "__init__.py").read_text()
    named = set(re.findall(r"\b((?:[a-z_]+/)+[a-z_]+\.py)\b", documented))
    named |= {path + "__init__.py" for path in re.findall(r"\b((?:[a-z_]+/)+)(?![a-z_])", documented)}
    named = {path for path in named if not path.startswith(("lecturelib/", "tests/"))}  # the prose's
    missing = []
    for path in sorted((ROOT / "lecturelib").rglob("*.py")):
        rel = path.relative_to(ROOT / "lecturelib").as_posix()
        if rel in ("__init__.py", "__main__.py"):
            continue
        layer = rel.split("/")[0].removesuffix(".py")
        if rel in (f"{layer}.py", f"{layer}/__init__.py"):
            if f"lecturelib.{layer} " not in documented:
                missing.append(rel)
        elif rel not in named:
            missing.append(rel)
    assert not missing, f"files the module map of lecturelib/__init__.py does not name: {missing}"
    stale = [rel for rel in named if not (ROOT / "lecturelib" / rel).exists()]
    assert not stale, f"the module map names files that do not exist: {stale}"


def test_lecturelib_imports_point_one_way():
    """A module imports only from modules above it in the module map (within `models` and
    `exercises`, files import their siblings freely, never a later layer); no lazy imports."""
    import ast

    documented = (ROOT / "lecturelib" / "__init__.py").read_text()
    assert all(f"lecturelib.{layer} " in documented for layer in LAYERS), "update the module map"
    for path in (ROOT / "lecturelib").rglob("*.py"):
        rel = path.relative_to(ROOT / "lecturelib").with_suffix("")
        if rel.parts[-1] == "__main__":
            continue  # a command line sits on top of everything
        layer = rel.parts[0]
        if layer == "__init__":
            continue
        level = LAYERS.index(layer)
        package = ["lecturelib", *rel.parts[:-1]] if rel.parts[-1] != "__init__" else ["lecturelib", *rel.parts[:-1]]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package[:len(package) - node.level + 1] if rel.parts[-1] != "__init__" else \
                    package[:len(package) - node.level + 1]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif (node.module or "").startswith("lecturelib"):
                target = node.module.split(".")
            else:
                continue
            names = [target[1]] if len(target) > 1 else [alias.name for alias in node.names]
            for name in names:
                if name in LAYERS and name != layer:
                    assert LAYERS.index(name) < level, f"{rel}: imports lecturelib.{name}, a later layer"
