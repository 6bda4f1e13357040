"""Run profile, seeding and device selection."""

import random

import pytest
import torch

from lecturelib.config import ProfileError, get_device, get_profile, pick, set_seed


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
