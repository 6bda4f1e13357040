"""`python -m lecturelib.recap`: the same as `python -m lecturelib recap` (lecturelib/__main__.py)."""

from ..__main__ import run_command

if __name__ == "__main__":
    run_command("recap", None, "python -m lecturelib.recap")
