"""The three kinds of exercise: an `Exercise` (the student's function against lecturelib's reference
on fresh cases, the usual mistakes named), a `Build` (no single right output: a test runs the
answer and says what is wrong) and a `Question` (a conceptual one, answered with a word)."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from importlib import resources
from typing import Any, Callable, Iterable, Mapping, Sequence

import torch

from .compare import compare
from .harness import NOT_ANSWERED, SEED_VARIABLE, TIME_LIMIT, Case, Verdict, case_seed, guarded, report


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A build-it exercise: the student's function against the reference on fresh cases."""

    name: str  # "01.2 · the E-step"
    reference: Callable[..., Any]  # lecturelib's own version of the idea
    cases: Callable[[torch.Generator], Iterable[Case]]  # fresh inputs of several shapes (a list, or yielded)
    mistakes: Mapping[str, Callable[..., Any]] = dataclasses.field(default_factory=dict)  # diagnosis -> wrong answer
    hint: str = ""  # said when the answer is wrong in a way no listed mistake explains
    use: Callable[..., str] | None = None  # use(answer, **context): a correct answer put to work
    rtol: float = 1e-4
    atol: float = 1e-6
    seed: int | None = None  # None: fresh cases on every call (see case_seed)
    time_limit: float = TIME_LIMIT

    def examples(self) -> tuple[Callable[..., Any], Mapping[str, Callable[..., Any]]]:
        """A right answer and the wrong ones with their diagnoses (for the tests of the check)."""
        return self.reference, self.mistakes

    @guarded
    def verdict(self, answer: Callable[..., Any] | None) -> Verdict:
        title = f"Exercise {self.name}"
        if answer is None:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        if not callable(answer):
            return Verdict("wrong", f"[x] {title}: expected a function, got {type(answer).__name__}.")
        seed = case_seed() if self.seed is None else self.seed
        cases = list(self.cases(torch.Generator().manual_seed(seed)))
        for number, case in enumerate(cases, 1):
            where = f"case {number} of {len(cases)} ({case.label}, drawn with {SEED_VARIABLE}={seed})"
            try:
                got = answer(*copy.deepcopy(case.args))  # a copy: the answer may change its inputs
            except NotImplementedError:
                return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
            except Exception as err:  # the student's code failed: say where, never raise
                return Verdict("wrong", f"[x] {title}: {where}: your function raised "
                                        f"{type(err).__name__}: {str(err)[:160]}")
            if got is None:
                return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
            want = self.reference(*copy.deepcopy(case.args))
            ok, why = compare(got, want, self.rtol, self.atol)
            if ok:
                continue
            matched = [diagnosis for diagnosis, mistake in self.mistakes.items()
                       if compare(got, mistake(*copy.deepcopy(case.args)), self.rtol, self.atol)[0]]
            if matched:  # several usual mistakes can give the same output: name each
                return Verdict("wrong", f"[x] {title}: {where}: " + "\n     Or: ".join(matched))
            tip = f" Hint: {self.hint}" if self.hint else ""
            return Verdict("wrong", f"[x] {title}: {where}: {why}.{tip}")
        return Verdict("ok", f"[ok] {title}: correct on {len(cases)} fresh cases.")

    def __call__(self, answer: Callable[..., Any] | None, *, require: bool = False, **context: Any) -> None:
        """Print the verdict (and put a correct answer to work). require=True (solution cells)
        raises AssertionError unless the answer passes."""
        report(self.verdict(answer, **context), require)


@dataclasses.dataclass(frozen=True)
class Build:
    """A build-it exercise with no single right output (an architecture, a training step): `test`
    runs the student's answer on fresh inputs and returns what is wrong, or None."""

    name: str
    test: Callable[[Any, torch.Generator], str | None]  # (answer, generator) -> problem or None
    solution: Any  # a right answer, for the tests of the check
    wrong: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # diagnosis -> a wrong answer
    use: Callable[..., str] | None = None
    seed: int = 0  # fixed: a build is judged by training it, on the seeds its thresholds were set from
    time_limit: float = TIME_LIMIT  # an assignment that trains a model gets more

    def examples(self) -> tuple[Any, Mapping[str, Any]]:
        return self.solution, self.wrong

    @guarded
    def verdict(self, answer: Any) -> Verdict:
        title = f"Exercise {self.name}"
        if answer is None:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        try:
            problem = self.test(answer, torch.Generator().manual_seed(self.seed))
        except NotImplementedError:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        except Exception as err:  # the student's code failed: say where, never raise
            return Verdict("wrong", f"[x] {title}: your code raised {type(err).__name__}: {str(err)[:200]}")
        if problem == NOT_ANSWERED:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        if problem is not None:
            return Verdict("wrong", f"[x] {title}: {problem}")
        return Verdict("ok", f"[ok] {title}: correct on fresh inputs.")

    def __call__(self, answer: Any, *, require: bool = False, **context: Any) -> None:
        report(self.verdict(answer, **context), require)


@dataclasses.dataclass(frozen=True)
class Question:
    """A conceptual question answered with one of `choices`; each wrong choice has its own reply."""

    name: str
    choices: Sequence[str]
    answer: str
    replies: Mapping[str, str] = dataclasses.field(default_factory=dict)  # wrong choice -> why not
    why: str = ""  # said with a right answer

    def __post_init__(self):
        if self.answer not in self.choices or not set(self.replies) <= set(self.choices) - {self.answer}:
            raise ValueError(f"question {self.name!r}: the answer must be a choice, and replies are for "
                             "the other choices")

    @classmethod
    def load(cls, key: str) -> Question:
        """The question numbered `key` (e.g. "06.4"), its words read from questions.json beside
        this file: conceptual questions are text, kept out of the code."""
        return cls(**_questions()[key])

    def examples(self) -> tuple[str, Mapping[str, str]]:
        return self.answer, {reply: choice for choice, reply in self.replies.items()}

    def verdict(self, answer: str | None, use: bool = True) -> Verdict:
        title = f"Exercise {self.name}"
        if answer is None:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        given = answer.strip().lower() if isinstance(answer, str) else answer
        options = {c.lower(): c for c in self.choices}
        if given not in options:
            return Verdict("wrong", f"[x] {title}: answer with one of: " + ", ".join(f'"{c}"' for c in self.choices) + ".")
        if options[given] == self.answer:
            return Verdict("ok", f"[ok] {title}: correct." + (f" {self.why}" if self.why else ""))
        reply = self.replies.get(options[given], "not this one; read the question again.")
        return Verdict("wrong", f"[x] {title}: \"{options[given]}\": {reply}")

    def __call__(self, answer: str | None, *, require: bool = False) -> None:
        report(self.verdict(answer), require)


@functools.cache
def _questions() -> dict[str, dict[str, Any]]:
    table = json.loads(resources.files(__package__).joinpath("questions.json").read_text(encoding="utf-8"))
    return {key: {**fields, "choices": tuple(fields["choices"])} for key, fields in table.items()}
