"""The course's command lines, in one place (`python -m lecturelib --help`):

    python -m lecturelib train NAME [--epochs N] [--seed S] [--root DIR] [--overwrite]
    python -m lecturelib train --list                # the recipes
    python -m lecturelib remeasure NAME              # evaluate a shipped checkpoint again, record it
    python -m lecturelib recap [--json PATH]         # notebook 08's table, from the shell
    python -m lecturelib recap --draw-samples [NAME ...]   # redraw the slow samplers' stored samples

`python -m lecturelib.train ...` and `python -m lecturelib.recap ...` (the commands the manifest
records and the notebooks name) are the same commands.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Sequence

import torch

from .checkpoints import checkpoint_dir
from .recap import format_table, measure
from .recipes import FCD_SAMPLES, RECIPES, STORED, make_checkpoint, remeasure_checkpoint, store_drawn_samples


def _say_metric(name: str, metric: dict[str, float]) -> None:
    print(f"{name}: " + ", ".join(f"{k} = {v:.4f}" for k, v in metric.items()))


def add_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", choices=sorted(RECIPES), metavar="NAME",
                        help="one of: " + ", ".join(sorted(RECIPES)))
    parser.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    parser.add_argument("--seed", type=int, help="random seed (default: the recipe's, 0)")
    parser.add_argument("--root", help="checkpoint folder (default data/checkpoints)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the shipped checkpoint, its manifest entry and stored files "
                             "(without it, training refuses to; or write elsewhere with --root)")
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    parser.add_argument("--remeasure", action="store_true",
                        help="do not train: evaluate the shipped checkpoint again and record the "
                             "result in the manifest (after a change to how a metric is measured)")


def run_train(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.list or args.name is None:
        for name, recipe in sorted(RECIPES.items()):
            print(f"{name:<24} {recipe.description} ({recipe.training.epochs} epochs)")
        return
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.remeasure:
        _say_metric(args.name, remeasure_checkpoint(args.name, root=args.root))
        return
    shipped = checkpoint_dir() / f"{args.name}.pt"
    if args.root is None and shipped.exists() and not args.overwrite:
        parser.error(f"{shipped} is a shipped checkpoint: training would replace it, its manifest entry and "
                     f"its stored files. Pass --overwrite to replace them, or --root DIR to write the new "
                     f"checkpoint elsewhere (e.g. --root /tmp/{args.name}).")
    _say_metric(args.name, make_checkpoint(args.name, num_epochs=args.epochs, seed=args.seed, root=args.root))


def add_remeasure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=sorted(RECIPES), metavar="NAME",
                        help="one of: " + ", ".join(sorted(RECIPES)))
    parser.add_argument("--root", help="checkpoint folder (default data/checkpoints)")


def run_remeasure(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    _say_metric(args.name, remeasure_checkpoint(args.name, root=args.root))


def add_recap(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="PATH", help="also write the table to this JSON file")
    parser.add_argument("--draw-samples", nargs="*", metavar="NAME", choices=STORED,
                        help=f"draw and store the {FCD_SAMPLES} samples of these slow samplers "
                             f"(default: all of {', '.join(STORED)}), then exit")


def run_recap(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.draw_samples is not None:
        store_drawn_samples(args.draw_samples or STORED)
        return
    torch.set_grad_enabled(False)
    rows = measure()
    print()
    print(format_table(rows))
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"torch": torch.__version__.split("+")[0], "threads": torch.get_num_threads(),
                   "rows": [dataclasses.asdict(r) | {"fcd_ratio": r.fcd_ratio} for r in rows]}
        path.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")
        print(f"\nwrote {path}")


COMMANDS = {
    "train": ("train a shipped checkpoint from scratch on the shipped digits, evaluate it on the test "
              "split, and write data/checkpoints/NAME.pt with its manifest entry", add_train, run_train),
    "remeasure": ("evaluate a shipped checkpoint again and record the result in the manifest",
                  add_remeasure, run_remeasure),
    "recap": ("measure every model of the course from its shipped checkpoint and print the comparison "
              "table of the recap notebook", add_recap, run_recap),
}


def command_parser(command: str, prog: str) -> argparse.ArgumentParser:
    """The parser of one command, as `python -m lecturelib COMMAND` and `prog` show it."""
    description, add, _ = COMMANDS[command]
    parser = argparse.ArgumentParser(prog=prog, description=description[0].upper() + description[1:] + ".")
    add(parser)
    return parser


def run_command(command: str, argv: Sequence[str] | None, prog: str) -> None:
    """Parse argv for one command and run it (`python -m lecturelib.train` calls this too)."""
    parser = command_parser(command, prog)
    COMMANDS[command][2](parser, parser.parse_args(argv))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lecturelib", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=sorted(COMMANDS), help="; ".join(
        f"{name}: {description}" for name, (description, _, _) in COMMANDS.items()))
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="the command's own arguments (COMMAND --help)")
    args = parser.parse_args(argv)
    run_command(args.command, args.rest, f"python -m lecturelib {args.command}")


if __name__ == "__main__":
    main()
