"""The shipped digits: shape, split, balance, binarization, loader, and the errors when broken."""

import gzip
import hashlib
import importlib.util
import shutil
from pathlib import Path

import pytest
import torch

from lecturelib.data import (DataError, TensorLoader, binarize_dynamic, binarize_static, data_dir,
                             load_digits)

ROOT = Path(__file__).resolve().parent.parent


def load_build_script():
    spec = importlib.util.spec_from_file_location("build_digits", ROOT / "data" / "build_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def data_copy(tmp_path):
    """A writable copy of data/digits, to break without touching the real one."""
    shutil.copytree(data_dir() / "digits", tmp_path / "digits")
    return tmp_path


def test_shapes_dtypes_and_range():
    for split, n in [("train", 8000), ("test", 2000)]:
        x, y = load_digits(split)
        assert x.shape == (n, 1, 28, 28) and x.dtype == torch.float32
        assert y.shape == (n,) and y.dtype == torch.int64
        assert x.min() == 0 and x.max() == 1
        assert set(y.tolist()) == set(range(10))


def test_split_is_stratified_and_balanced():
    _, y_train = load_digits("train")
    _, y_test = load_digits("test")
    train_counts = torch.bincount(y_train, minlength=10)
    test_counts = torch.bincount(y_test, minlength=10)
    fraction = test_counts.float() / (train_counts + test_counts).float()
    assert torch.all((fraction - 0.2).abs() < 0.002), fraction  # 20 % of every class in test
    assert train_counts.min() > 600 and train_counts.max() < 1000  # no class starved or dominant


def test_train_and_test_are_disjoint():
    def digests(x):
        return {hashlib.sha1((x[i] * 255).byte().numpy().tobytes()).hexdigest() for i in range(len(x))}

    x_train, _ = load_digits("train")
    x_test, _ = load_digits("test")
    assert not digests(x_train) & digests(x_test)


def test_load_returns_a_fresh_tensor_each_time():
    x, _ = load_digits("test")
    x.zero_()
    assert load_digits("test").x.sum() > 0


def test_readme_lists_the_shipped_checksums():
    readme = (data_dir() / "digits" / "README.md").read_text()
    for line in (data_dir() / "digits" / "SHA256SUMS").read_text().splitlines():
        sha, name = line.split()
        assert f"{sha}  {name}" in readme
        assert hashlib.sha256((data_dir() / name).read_bytes()).hexdigest() == sha


def test_the_data_build_writes_only_its_own_readme():
    """`make data` regenerates data/digits/README.md exactly as committed (checked from the files,
    without the network) and leaves the hand-written data/README.md alone."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_digits", data_dir() / "build_digits.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.readme_from_files(data_dir() / "digits") == (data_dir() / "digits" / "README.md").read_text()
    source = (data_dir() / "build_digits.py").read_text()
    assert 'HERE / "README.md"' not in source and "OUT / \"README.md\"" in source
    assert "samples/" in (data_dir() / "README.md").read_text()  # the hand-written part survives


def test_files_are_standard_idx_that_torchvision_reads(tmp_path):
    """Unzipped under torchvision's names, the files load with torchvision.datasets.MNIST."""
    from torchvision.datasets import MNIST

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for ours, theirs in [("train", "train"), ("test", "t10k")]:
        for kind in ["images-idx3", "labels-idx1"]:
            blob = gzip.decompress((data_dir() / "digits" / f"{ours}-{kind}-ubyte.gz").read_bytes())
            (raw / f"{theirs}-{kind}-ubyte").write_bytes(blob)
    for split in ["train", "test"]:
        dataset = MNIST(root=str(tmp_path), train=split == "train", download=False)
        x, y = load_digits(split)
        torch.testing.assert_close(dataset.data.float().div(255).unsqueeze(1), x)
        torch.testing.assert_close(dataset.targets, y)


def test_static_binarization_is_deterministic():
    x, _ = load_digits("test")
    a, b = binarize_static(x, seed=0), binarize_static(x, seed=0)
    assert torch.equal(a, b)
    assert set(a.unique().tolist()) == {0.0, 1.0}
    assert not torch.equal(a, binarize_static(x, seed=1))
    # Each pixel is on with probability equal to its grey level: the means agree.
    assert abs(a.mean().item() - x.mean().item()) < 1e-3


def test_dynamic_binarization_changes_every_call_and_follows_a_generator():
    x, _ = load_digits("test")
    assert not torch.equal(binarize_dynamic(x), binarize_dynamic(x))
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(binarize_dynamic(x, g1), binarize_dynamic(x, g2))


def test_corrupt_file_gives_one_clear_error(data_copy):
    path = data_copy / "digits" / "test-images-idx3-ubyte.gz"
    blob = bytearray(path.read_bytes())
    blob[1000] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(DataError, match=r"corrupt.*make data"):
        load_digits("test", root=data_copy)


def test_missing_file_gives_one_clear_error(data_copy):
    (data_copy / "digits" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"missing.*git checkout -- data/digits"):
        load_digits("train", root=data_copy)


def test_missing_checksums_gives_one_clear_error(data_copy):
    (data_copy / "digits" / "SHA256SUMS").unlink()
    with pytest.raises(DataError, match="SHA256SUMS is missing"):
        load_digits("train", root=data_copy)


def test_bad_arguments_are_rejected_clearly(tmp_path):
    with pytest.raises(ValueError, match="split must be one of"):
        load_digits("validation")
    with pytest.raises(ValueError, match="source must be one of"):
        load_digits("train", source="kaggle")
    with pytest.raises(ValueError, match="only for source='torchvision'"):
        load_digits("train", download=True)
    with pytest.raises(DataError, match="download=True"):  # full MNIST absent, no download asked
        load_digits("train", source="torchvision", root=tmp_path)


def test_loader_covers_every_example_once_per_epoch():
    x = torch.arange(10).float().unsqueeze(1)
    y = torch.arange(10)
    loader = TensorLoader(x, y, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
    assert len(loader) == 3
    seen = torch.cat([yb for _, yb in loader])
    assert sorted(seen.tolist()) == list(range(10))
    assert [len(yb) for _, yb in TensorLoader(x, y, batch_size=4, drop_last=True)] == [4, 4]


def test_loader_order_follows_its_generator_and_transform_applies_to_x():
    x = torch.rand(50, 1, 28, 28)
    y = torch.arange(50)

    def order(seed):
        g = torch.Generator().manual_seed(seed)
        return torch.cat([yb for _, yb in TensorLoader(x, y, batch_size=8, shuffle=True, generator=g)])

    assert torch.equal(order(1), order(1)) and not torch.equal(order(1), order(2))
    xb, yb = next(iter(TensorLoader(x, y, batch_size=8, transform=binarize_dynamic)))
    assert set(xb.unique().tolist()) <= {0.0, 1.0} and torch.equal(yb, y[:8])


def test_loader_rejects_mismatched_tensors():
    with pytest.raises(ValueError, match="same first dimension"):
        TensorLoader(torch.zeros(3), torch.zeros(4))


def test_build_script_split_counts_sum_exactly():
    build = load_build_script()
    sizes = {0: 1001, 1: 1127, 2: 991, 3: 1032, 4: 980, 5: 863, 6: 1014, 7: 1070, 8: 944, 9: 978}
    counts = build.test_counts(sizes, 2000)
    assert sum(counts.values()) == 2000
    assert all(abs(counts[d] - sizes[d] * 0.2) < 1 for d in sizes)
    assert build.gzip_bytes(b"abc" * 100) == build.gzip_bytes(b"abc" * 100)  # reproducible bytes


def test_forever_runs_epoch_after_epoch_in_a_new_order():
    x = torch.arange(10.0)
    loader = TensorLoader(x, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0), drop_last=True)
    batches = loader.forever()
    first, second = [next(batches)[0] for _ in range(2)], [next(batches)[0] for _ in range(2)]
    assert all(len(b) == 4 for b in first + second)  # drop_last: 2 full batches per epoch
    assert not torch.equal(torch.cat(first), torch.cat(second))  # a new order in the second epoch


def test_forever_on_a_loader_without_batches_raises_instead_of_spinning():
    for loader in (TensorLoader(torch.zeros(0, 1, 28, 28), batch_size=4),
                   TensorLoader(torch.zeros(3, 1, 28, 28), batch_size=4, drop_last=True)):
        with pytest.raises(ValueError, match=r"forever\(\) needs at least one batch, and this loader has none "
                                             r"\(\d examples, batch_size=4, drop_last=(True|False)\): give it data"):
            next(loader.forever())


def test_a_junk_line_in_the_checksums_is_named(data_copy):
    sums = data_copy / "digits" / "SHA256SUMS"
    sums.write_text(sums.read_text() + "this line is not a checksum\n")
    with pytest.raises(DataError, match=r"SHA256SUMS, line 5, is not '<sha256>  <file name>' but "
                                        r"'this line is not a checksum'.*git checkout -- data/digits"):
        load_digits("train", root=data_copy)


def test_genmodels_data_pointing_nowhere_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("GENMODELS_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=r"GENMODELS_DATA='.*nowhere' is not a folder: point it at a copy of the "
                                        r"repository's data/ folder.*or unset it"):
        load_digits("test")
    monkeypatch.delenv("GENMODELS_DATA")  # read on every call: unset, the clone's own folder again
    assert data_dir() == ROOT / "data"
