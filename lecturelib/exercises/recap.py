"""Exercises of the recap: two models placed in the taxonomy, a ranking by a column of the table,
and the price of sequential sampling read from it."""

from __future__ import annotations

from typing import Iterator, NamedTuple

import torch

from . import Case, Exercise, Question, numeric_verdict, sizes

# ---------------------------------------------------------------------------------------------
# 08.1 and 08.2 · place a model in the tree
# ---------------------------------------------------------------------------------------------

realnvp_branch = Question.load("08.1")  # its text: questions.json

diffusion_branch = Question.load("08.2")  # its text: questions.json
BRANCHES = realnvp_branch.choices  # the five leaves of notebook 08's tree a model can sit on

# ---------------------------------------------------------------------------------------------
# 08.3 · rank by a column
# ---------------------------------------------------------------------------------------------


class _Row(NamedTuple):
    label: str
    test_nll: float | None


def _rank_cases(generator: torch.Generator) -> Iterator[Case]:
    for n in (sizes(generator, 4, 9), 2, 12):
        nll = (80 + 100 * torch.rand(n, generator=generator)).tolist()
        missing = torch.rand(n, generator=generator) < 0.3
        rows = [_Row(f"model {chr(65 + i)}", None if missing[i] else round(v, 2)) for i, v in enumerate(nll)]
        yield Case(f"{n} rows, {int(missing.sum())} without a likelihood", (rows,))


def _ranking(rows) -> list[str]:
    return [row.label for row in sorted((row for row in rows if row.test_nll is not None),
                                        key=lambda row: row.test_nll)]


def _use_ranking(answer, rows=None) -> str:
    if rows is None:
        return "a ranking of rows."
    return "the table's rows with a test NLL, best first: " + ", ".join(answer(rows)) + "."


ranking = Exercise(
    name="08.3 · rank by the NLL column",
    reference=_ranking,
    cases=_rank_cases,
    mistakes={
        "worst first: a lower NLL is better (fewer nats per digit), so sort in increasing order.":
            lambda rows: _ranking(rows)[::-1],
        "rows without a likelihood are in the ranking: keep only rows whose test_nll is not None.":
            lambda rows: [row.label for row in sorted(rows, key=lambda row: (row.test_nll is None,
                                                                             row.test_nll or 0))],
        "ranked by label, not by NLL.":
            lambda rows: sorted(row.label for row in rows if row.test_nll is not None),
    },
    hint="only the rows that have a likelihood; is a lower or a higher NLL better?",
    use=_use_ranking,
)


# ---------------------------------------------------------------------------------------------
# 08.4 · the price of sequential sampling
# ---------------------------------------------------------------------------------------------


def sampling_ratio(answer, table) -> None:
    """How many batches of 64 the DCGAN draws while the PixelCNN draws one, from the table."""
    expected = table["PixelCNN"].seconds_64 / table["DCGAN"].seconds_64
    print(numeric_verdict("08.4 · the price of sequential sampling", answer, expected, rtol=1e-6, mistakes={
        "inverted: that is the DCGAN's time over the PixelCNN's. Divide the PixelCNN's seconds by "
        "the DCGAN's.": 1 / expected,
    }, hint="how many of the faster model's batches fit in the time of one of the slower's?").message)
