"""Run profile, seeding and device selection."""

import random

import pytest
import torch

from lecturelib.config import ProfileError, get_device, get_profile, isolated_seed, pick, seeded, set_seed


def test_profile_defaults_to_quick(monkeypatch):
    monkeypatch.delenv("GENMODELS_PROFILE", raising=False)
    assert get_profile() == "quick"
    monkeypatch.setenv("GENMODELS_PROFILE", "")
    assert get_profile() == "quick"


def test_profile_full_and_pick(monkeypatch):
    monkeypatch.setenv("GENMODELS_PROFILE", " Full ")
    assert get_profile() == "full"
    assert pick(quick=2, full=30) == 30
    monkeypatch.setenv("GENMODELS_PROFILE", "quick")
    assert pick(quick=2, full=30) == 2


def test_bad_profile_is_rejected_with_the_fix(monkeypatch):
    monkeypatch.setenv("GENMODELS_PROFILE", "fast")
    with pytest.raises(ProfileError, match=r"'fast' is not a profile; use one of quick, full"):
        get_profile()


def test_set_seed_makes_runs_repeat():
    g = set_seed(7)
    a = (random.random(), torch.rand(3), torch.rand(3, generator=g))
    g = set_seed(7)
    b = (random.random(), torch.rand(3), torch.rand(3, generator=g))
    assert a[0] == b[0] and torch.equal(a[1], b[1]) and torch.equal(a[2], b[2])


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative int"):
        set_seed(bad)


def test_device_is_cuda_only_when_present():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device().type == expected
    assert get_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            get_device("cuda")


# ---------------------------------------------------------------------------------------------
# No library code moves the student's global stream (issue 32)
# ---------------------------------------------------------------------------------------------

def _stream_after(action) -> torch.Tensor:
    """torch.rand(5) after set_seed(3) and `action()`: equal to torch.rand(5) after set_seed(3)
    alone when the action leaves torch's global generator as it found it."""
    set_seed(3)
    action()
    return torch.rand(5)


def test_isolated_seed_seeds_the_block_and_gives_the_stream_back():
    with isolated_seed(0) as generator:
        inside = torch.rand(2)
    torch.manual_seed(0)
    assert torch.equal(inside, torch.rand(2)) and torch.equal(torch.rand(2, generator=seeded(0)),
                                                                torch.rand(2, generator=generator))

    def seeded_block():
        with isolated_seed(1):
            torch.rand(100)  # what the block draws from the global generator stays inside it

    assert torch.equal(_stream_after(seeded_block), _stream_after(lambda: None))
    assert not torch.equal(_stream_after(lambda: torch.rand(100)), _stream_after(lambda: None))


def test_an_exercise_check_leaves_the_students_torch_rand_alone():
    from lecturelib.exercises import pixel_models

    untouched = _stream_after(lambda: None)
    # the reference builds PixelCNNs from seeded initial weights; the wrong answer draws globally
    right = lambda: pixel_models.rows_above.verdict(lambda n: 7 // 2 + n, use=False)  # noqa: E731
    wrong = lambda: pixel_models.rows_above.verdict(lambda n: int(torch.randint(9, (1,))), use=False)  # noqa: E731
    assert torch.equal(_stream_after(right), untouched)
    assert torch.equal(_stream_after(wrong), untouched)
    assert right().passed and not wrong().passed


def test_library_training_helpers_leave_the_global_stream_alone():
    from lecturelib.data import binarize_dynamic, sample_blobs
    from lecturelib.models.diffusion import ToyNet, flow_matching_loss
    from lecturelib.train import train_toy
    from lecturelib.recipes.recipe import Training
    from lecturelib.recipes.training import _augmentation

    untouched = _stream_after(lambda: None)
    toy = lambda: train_toy(flow_matching_loss, lambda: ToyNet(time_scale=1000), sample_blobs, steps=2)  # noqa: E731
    assert torch.equal(_stream_after(toy), untouched)
    first, again = toy(), toy()  # seeded: the same net twice
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), again.state_dict().values()))
    # the recipe's dynamic binarization draws from the recipe's generator, not the global one
    x = torch.rand(4, 1, 28, 28, generator=seeded(0))
    augment = lambda: _augmentation(Training(epochs=1, dynamic_binarization=True), seeded(5))(x)  # noqa: E731
    assert torch.equal(_stream_after(augment), untouched)
    assert torch.equal(augment(), binarize_dynamic(x, seeded(5)))


def test_no_library_module_reseeds_the_global_generator():
    """torch.manual_seed / set_seed / random.seed / np.random.seed are called in config.py only;
    everywhere else a torch.Generator, or isolated_seed, which gives the global state back."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "lecturelib"
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "config.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                call = ast.unparse(node.func)
                if call in ("torch.manual_seed", "set_seed", "config.set_seed", "random.seed",
                            "np.random.seed", "numpy.random.seed", "torch.random.manual_seed"):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno} {call}")
    assert not offenders, offenders
