"""The one step nbgrader lacks for our student version (grading/build.py registers it)."""

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor


class RemoveHiddenTestCells(NbGraderPreprocessor):
    """Remove autograder cells left empty once ClearHiddenTests has run: their tests were all
    hidden, so the student would see an empty read-only cell. The gradebook keeps them (SaveCells
    ran before), and autograding puts them back (OverwriteCells.add_missing_cells)."""

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells
                    if not (utils.is_grade(cell) and not utils.is_solution(cell) and not cell.source.strip())]
        return nb, resources
