"""The shipped digit files on disk: where the data folder is, each file checked against
data/digits/SHA256SUMS, read from the IDX format of the original MNIST (or from torchvision's copy
of the full set). `lecturelib.data` turns what these return into tensors a model takes.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from functools import lru_cache
from pathlib import Path

import torch

DATA_ENV = "GENMODELS_DATA"
IMAGE_SIDE = 28
REBUILD_HINT = (
    "Restore the shipped files with `git checkout -- data/digits` (or a fresh clone), or "
    "rebuild them with `make data` (needs npm and the npm registry)."
)


class DataError(RuntimeError):
    """A shipped data file is missing or corrupt; the message says how to get it back."""


def data_dir() -> Path:
    """The repository's data/ folder, or $GENMODELS_DATA when set; a DataError that names the
    variable (or the missing folder) and the fix when it is not a folder."""
    override = os.environ.get(DATA_ENV)
    folder = Path(override) if override else Path(__file__).resolve().parent.parent.parent / "data"
    if override and not folder.is_dir():
        raise DataError(f"{DATA_ENV}={override!r} is not a folder: point it at a copy of the repository's "
                        f"data/ folder (digits/, checkpoints/, samples/), or unset it to use the clone's own.")
    if not folder.is_dir():
        raise DataError(f"There is no data/ folder at {folder}: lecturelib is installed without its "
                        f"repository (`pip install .` copies the package, not the data). Set {DATA_ENV} "
                        f"to the data/ folder of a clone, or install from the clone with `pip install -e .`.")
    return folder


@lru_cache(maxsize=None)
def read_shipped(split: str, root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    folder = root / "digits"
    expected = _expected_sums(folder)
    images = _read_idx(folder / f"{split}-images-idx3-ubyte.gz", expected)
    labels = _read_idx(folder / f"{split}-labels-idx1-ubyte.gz", expected)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{folder}: images {tuple(images.shape)} and labels "
                        f"{tuple(labels.shape)} do not match. {REBUILD_HINT}")
    return images, labels


def _expected_sums(folder: Path) -> dict[str, str]:
    sums_file = folder / "SHA256SUMS"
    if not sums_file.is_file():
        raise DataError(f"{sums_file} is missing, so the digits cannot be checked. {REBUILD_HINT}")
    sums = {}
    for number, line in enumerate(sums_file.read_text().splitlines(), 1):
        parts = line.split()
        if parts and (len(parts) != 2 or len(parts[0]) != 64 or not set(parts[0]) <= set("0123456789abcdef")):
            raise DataError(f"{sums_file}, line {number}, is not '<sha256>  <file name>' but {line[:80]!r}: "
                            f"the file was edited or damaged. {REBUILD_HINT}")
        if parts:
            sums[Path(parts[1]).name] = parts[0]
    return sums


def _read_idx(path: Path, expected: dict[str, str]) -> torch.Tensor:
    """Read a gzipped IDX file (the original MNIST format) after checking its sha256."""
    if not path.is_file():
        raise DataError(f"The shipped digits file {path} is missing. {REBUILD_HINT}")
    blob = path.read_bytes()
    sha = hashlib.sha256(blob).hexdigest()
    if sha != expected.get(path.name):
        raise DataError(f"The shipped digits file {path} is corrupt: its sha256 is {sha[:12]}..., "
                        f"SHA256SUMS expects {str(expected.get(path.name))[:12]}... {REBUILD_HINT}")
    raw = gzip.decompress(blob)
    # IDX header: 2 zero bytes, a type byte (0x08 = uint8), the number of dimensions, then each
    # dimension as a big-endian uint32.
    _, dtype, ndim = struct.unpack(">HBB", raw[:4])
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(shape)


def read_torchvision(split: str, root: Path, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import MNIST  # imported here: only this option needs it

    try:
        dataset = MNIST(root=str(root), train=split == "train", download=download)
    except RuntimeError as err:
        raise DataError(
            f"Full MNIST is not in {root} ({err}). Call load_digits(..., source='torchvision', "
            f"download=True) once with internet access, or use the shipped digits (the default)."
        ) from None
    return dataset.data, dataset.targets
