#!/usr/bin/env bash
# Commit the student edition as the next commit of the branch `student` of this repository, the
# branch an nbgitpuller link hands out (deploy/README.md). The notebooks sit at the top of that
# branch and nothing else does; the working tree, the index and the current branch are left as
# they are (git plumbing, with an index of its own).
#
#   make student && deploy/handout.sh && git push origin student      # build/student/*.ipynb
#   deploy/handout.sh build/grading/release/*/*.ipynb                 # nbgrader's student version
#
# Hand out nbgrader's version (grading/build.py writes it) when the class is graded: nbgrader
# recognises the answer cells of a handed-in notebook by the metadata that version carries.
# Each run adds a commit on top of the last (never a rewrite), so nbgitpuller merges the new
# edition into every student's copy and keeps what they have written. Set GIT_DIR to commit into
# another repository, BRANCH for another branch.
set -euo pipefail
BRANCH=${BRANCH:-student}

shopt -s nullglob
if [ $# -gt 0 ]; then notebooks=("$@"); else notebooks=(build/student/*.ipynb); fi
if [ ${#notebooks[@]} -eq 0 ]; then
  echo "no notebooks in build/student/: run \`make student\` first" >&2
  exit 1
fi

GIT_INDEX_FILE=$(mktemp -u)
export GIT_INDEX_FILE
trap 'rm -f "$GIT_INDEX_FILE"' EXIT
git read-tree --empty
for notebook in "${notebooks[@]}"; do
  git update-index --add --cacheinfo "100644,$(git hash-object -w "$notebook"),$(basename "$notebook")"
done
tree=$(git write-tree)

parent=$(git rev-parse -q --verify "refs/heads/$BRANCH" || true)
if [ -n "$parent" ] && [ "$(git rev-parse "$parent^{tree}")" = "$tree" ]; then
  echo "$BRANCH already holds this student edition ($(git rev-parse --short "$parent"))"
  exit 0
fi
source_commit=$(env -u GIT_DIR -u GIT_INDEX_FILE git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
commit=$(git -c user.name="${GIT_AUTHOR_NAME:-genmodels handout}" -c user.email="${GIT_AUTHOR_EMAIL:-handout@localhost}" \
  commit-tree "$tree" ${parent:+-p "$parent"} -m "Student edition of $source_commit")
git update-ref "refs/heads/$BRANCH" "$commit" ${parent:+"$parent"}
echo "$BRANCH -> $(git rev-parse --short "$commit"): ${#notebooks[@]} notebooks"
