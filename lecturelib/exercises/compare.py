"""Comparing an answer with the right one, within a tolerance, and saying how they differ:
`compare` for any output (tensors, numbers, tuples of them, lists of words), and the verdict on a
number the notebook computes (`check`, `numeric_verdict`)."""

from __future__ import annotations

from typing import Any, Mapping

import torch

from .harness import NOT_ANSWERED, Verdict


def compare(got: Any, want: Any, rtol: float, atol: float) -> tuple[bool, str]:
    """Compare two outputs (tensors, numbers, tuples of them, or lists of words); say how they
    differ."""
    if isinstance(want, (tuple, list)) and all(isinstance(w, str) for w in want) and want:
        if not isinstance(got, (tuple, list)) or not all(isinstance(g, str) for g in got):
            return False, f"expected a list of {len(want)} strings, got {type(got).__name__}"
        if list(got) == list(want):
            return True, ""
        return False, f"expected {list(want)}, got {list(got)}"
    if isinstance(want, torch.Tensor) and type(got).__module__ == "numpy":  # it would fail when put to work
        return False, f"expected a torch.Tensor, got a numpy {type(got).__name__}: return torch.as_tensor(...) of it"
    if isinstance(want, (tuple, list)) and not isinstance(want, torch.Size):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return False, f"expected {len(want)} values, got {type(got).__name__}"
        for i, (g, w) in enumerate(zip(got, want)):
            ok, why = compare(g, w, rtol, atol)
            if not ok:
                return False, f"value {i + 1}: {why}"
        return True, ""
    try:
        g = torch.as_tensor(got.detach() if isinstance(got, torch.Tensor) else got, dtype=torch.float64)
        w = torch.as_tensor(want.detach() if isinstance(want, torch.Tensor) else want, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return False, f"expected a number or a tensor, got {type(got).__name__}"
    if g.shape != w.shape:
        return False, f"expected shape {tuple(w.shape)}, got {tuple(g.shape)}"
    if not torch.isfinite(g).all() and torch.isfinite(w).all():
        return False, "your result has inf or nan where the right one is finite"
    if torch.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True):
        return True, ""
    error = ((g - w).abs() / w.abs().clamp_min(atol)).max().item()
    return False, f"off by up to {error:.2g} (relative)"


def check(name: str, answer: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6,
          hint: str = "") -> None:
    """Print whether a numeric `answer` matches `expected` (numbers or tensors, within rtol/atol):
    for exercises whose answer is a number the notebook computes, with `expected` computed by
    lecturelib out of sight."""
    print(numeric_verdict(name, answer, expected, rtol=rtol, atol=atol, hint=hint).message)


def numeric_verdict(name: str, answer: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6,
                    hint: str = "", mistakes: Mapping[str, Any] | None = None) -> Verdict:
    """The verdict behind `check`; `mistakes` maps a diagnosis to the wrong value it produces."""
    title = f"Exercise {name}"
    if answer is None:
        return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
    ok, why = compare(answer, expected, rtol, atol)
    if ok:
        return Verdict("ok", f"[ok] {title}: correct.")
    for diagnosis, wrong in (mistakes or {}).items():
        if compare(answer, wrong, rtol, atol)[0]:
            return Verdict("wrong", f"[x] {title}: {diagnosis}")
    return Verdict("wrong", f"[x] {title}: {why}." + (f" Hint: {hint}" if hint else ""))
