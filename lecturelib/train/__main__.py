"""`python -m lecturelib.train NAME`: train a shipped checkpoint from scratch, as its recipe
says (lecturelib.recipes), evaluate it on the test split, and write data/checkpoints/NAME.pt with
its manifest entry (the command, every training setting, the metric, the training time).

    python -m lecturelib.train --list              # the recipes
    python -m lecturelib.train pixelcnn            # train one (--overwrite: over the shipped one)
    python -m lecturelib.train vae --remeasure     # evaluate the shipped one again, record it
"""

from __future__ import annotations

import argparse
from typing import Sequence

from ..checkpoints import checkpoint_dir
from ..recipes import RECIPES, make_checkpoint, remeasure_checkpoint


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m lecturelib.train NAME`: train a shipped checkpoint from scratch and record it."""
    parser = argparse.ArgumentParser(
        prog="python -m lecturelib.train",
        description="Train a model of the course from scratch on the shipped digits, evaluate it "
                    "on the test split, and write data/checkpoints/NAME.pt with its manifest entry.")
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
    args = parser.parse_args(argv)
    if args.list or args.name is None:
        for name, recipe in sorted(RECIPES.items()):
            print(f"{name:<24} {recipe.description} ({recipe.training.epochs} epochs)")
        return
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.remeasure:
        metric = remeasure_checkpoint(args.name, root=args.root)
        print(f"{args.name}: " + ", ".join(f"{k} = {v:.4f}" for k, v in metric.items()))
        return
    shipped = checkpoint_dir() / f"{args.name}.pt"
    if args.root is None and shipped.exists() and not args.overwrite:
        parser.error(f"{shipped} is a shipped checkpoint: training would replace it, its manifest entry and "
                     f"its stored files. Pass --overwrite to replace them, or --root DIR to write the new "
                     f"checkpoint elsewhere (e.g. --root /tmp/{args.name}).")
    metric = make_checkpoint(args.name, num_epochs=args.epochs, seed=args.seed, root=args.root)
    print(f"{args.name}: " + ", ".join(f"{k} = {v:.4f}" for k, v in metric.items()))


if __name__ == "__main__":
    main()
