"""Self-checking exercises: compare a student's answer with the notebook's own computed value.

    answer = None                      # the student's work replaces None
    check("1 · bits per dimension", answer, expected, rtol=1e-4, hint="divide by D ln 2")

A check prints one line (and returns nothing, so a cell shows only that line); it never raises,
so a notebook with an unanswered exercise still runs top to bottom. Expected values are computed
in the notebook, never typed in. Expected words (a string, or a list of strings such as a
ranking) are compared exactly, ignoring case and surrounding spaces.
"""

from __future__ import annotations

from typing import Any

import torch


def check(name: str, answer: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6,
          hint: str = "") -> None:
    """Print whether `answer` matches `expected` (numbers or tensors, within rtol/atol)."""
    print(_verdict(name, answer, expected, rtol, atol, f" Hint: {hint}" if hint else ""))


def _verdict(name: str, answer: Any, expected: Any, rtol: float, atol: float, tip: str) -> str:
    if answer is None:
        return f"[ ] Exercise {name}: not answered yet (replace None with your answer).{tip}"
    if _is_text(expected):
        return _text_verdict(name, answer, expected, tip)
    try:
        got = torch.as_tensor(answer, dtype=torch.float64)
        want = torch.as_tensor(expected, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return f"[x] Exercise {name}: expected a number or tensor, got {type(answer).__name__}.{tip}"
    if got.shape != want.shape:
        return f"[x] Exercise {name}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}.{tip}"
    if torch.allclose(got, want, rtol=rtol, atol=atol):
        return f"[ok] Exercise {name}: correct."
    error = ((got - want).abs() / want.abs().clamp_min(atol)).max().item()
    return f"[x] Exercise {name}: not yet: relative error {error:.2g} (tolerance {rtol:g}).{tip}"


def _is_text(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, (list, tuple)) and len(value) > 0
                                       and all(isinstance(v, str) for v in value))


def _text_verdict(name: str, answer: Any, expected: Any, tip: str) -> str:
    def norm(value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    if isinstance(expected, str):
        if not isinstance(answer, str):
            return f"[x] Exercise {name}: expected a string, got {type(answer).__name__}.{tip}"
        return f"[ok] Exercise {name}: correct." if norm(answer) == norm(expected) else \
            f"[x] Exercise {name}: not yet.{tip}"
    if not _is_text(answer) or len(answer) != len(expected):
        return f"[x] Exercise {name}: expected a list of {len(expected)} strings.{tip}"
    right = sum(norm(a) == norm(e) for a, e in zip(answer, expected))
    if right == len(expected):
        return f"[ok] Exercise {name}: correct."
    return f"[x] Exercise {name}: not yet: {right} of {len(expected)} in the right place.{tip}"
