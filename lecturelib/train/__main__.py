"""`python -m lecturelib.train NAME`: the same as `python -m lecturelib train NAME` (lecturelib/__main__.py),
kept as the command every manifest entry records."""

from ..__main__ import run_command

if __name__ == "__main__":
    run_command("train", None, "python -m lecturelib.train")
