"""Showing the table: as plain text, as HTML linked to the notebooks, the sample panels with their
captions, and the claims about it checked."""

from __future__ import annotations

from typing import Sequence

import torch

from ..data import load_binarized_test
from .contenders import CONTENDERS, Row


def _duration(seconds: float) -> str:
    """Two significant digits, in ms below 0.1 s: "4.1 s", "15 ms", "0.62 ms" (narrow captions)."""
    return f"{seconds:.2g} s" if seconds >= 0.1 else f"{seconds * 1000:.2g} ms"


def sample_panels(rows: Sequence[Row], timings: dict[str, tuple[float, torch.Tensor]],
                  vae_means: torch.Tensor) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The first 16 of each model's 64 timed digits, titled by row, captioned with the row's FCD
    and sampling time; the VAE once (its coins), then the decoder's means of the same codes
    (`vae_means`), and last the binarized test digits."""
    by_label = {row.label: row for row in rows}
    panels, captions = {}, {}
    for c in CONTENDERS:
        if c.nll == "iwae100":
            continue  # the VAE's second row: the same samples
        label = "VAE" if c.source == "vae" else c.label
        panels[label] = timings[c.source][1][:16]
        row = by_label[c.label]
        captions[label] = f"FCD {row.fcd_ratio:.1f} x floor · {_duration(row.seconds_64)}"
        if c.source == "vae":
            panels["VAE: decoded means"] = vae_means[:16]
    panels["real test digits (binarized)"] = load_binarized_test().x[:16]
    return panels, captions


def _number(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


COLUMNS = ("model", "likelihood", "test NLL (nats)", "bits/dim", "FCD ± spread", "FCD / floor",
           "readable", "64 digits (s)", "parameters", "training (s)")


def row_cells(row: Row) -> list[str]:
    return [row.label, row.likelihood, _number(row.test_nll, 2), _number(row.bits_per_dim, 4),
            f"{row.fcd:.1f} ± {row.fcd_spread:.1f}", f"{row.fcd_ratio:.1f}", f"{row.readable:.0%}",
            _number(row.seconds_64, 3), f"{row.parameters:,}", _number(row.train_seconds, 1)]


def format_table(rows: Sequence[Row]) -> str:
    """The table as aligned plain text, with the floor below it."""
    cells = [list(COLUMNS)] + [row_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths)))
             for line in cells]
    floor = f"FCD floor (real binarized training digits): {rows[0].fcd_floor:.2f} ± {rows[0].fcd_floor_spread:.2f}"
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:], "", floor])


def table_html(rows: Sequence[Row]) -> str:
    """The table as HTML, each model linked to the notebook that builds it."""
    def style(i: int) -> str:  # text columns left, numbers right and unbroken
        return "text-align:left" if i < 2 else "text-align:right; white-space:nowrap"

    head = "".join(f'<th style="text-align:{"left" if i < 2 else "right"}">{c}</th>' for i, c in enumerate(COLUMNS))
    body = []
    for row in rows:
        cells = row_cells(row)
        cells[0] = f'<a href="{row.notebook}.ipynb">{cells[0]}</a> <small>({row.notebook[:2]})</small>'
        body.append("<tr>" + "".join(f'<td style="{style(i)}">{c}</td>' for i, c in enumerate(cells)) + "</tr>")
    return (f'<table style="font-size:75%"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def check_claims(claims: dict[str, bool]) -> None:
    """Print each claim about the table with whether it holds; fail naming every one that does not
    (a retrained checkpoint can change a ranking: then the text that makes the claim must change)."""
    for claim, holds in claims.items():
        print(("holds   " if holds else "FAILS   ") + claim)
    failed = [claim for claim, holds in claims.items() if not holds]
    if failed:
        raise AssertionError("claims that no longer hold: " + "; ".join(failed))
