#!/usr/bin/env bash
# Commit the student edition (build/student/*.ipynb, from `make student`) as the next commit of the
# branch `student` of this repository, the branch an nbgitpuller link hands out (deploy/README.md).
# The notebooks sit at the top of that branch and nothing else does; the working tree, the index
# and the current branch are left as they are (git plumbing, with an index of its own).
#
#   make student && deploy/handout.sh && git push origin student
#
# Each run adds a commit on top of the last (never a rewrite), so nbgitpuller merges the new
# edition into every student's copy and keeps what they have written. Set GIT_DIR to commit into
# another repository; STUDENT_DIR and BRANCH change the folder and the branch.
set -euo pipefail
STUDENT_DIR=${STUDENT_DIR:-build/student}
BRANCH=${BRANCH:-student}

shopt -s nullglob
notebooks=("$STUDENT_DIR"/*.ipynb)
if [ ${#notebooks[@]} -eq 0 ]; then
  echo "no notebooks in $STUDENT_DIR: run \`make student\` first" >&2
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
source_commit=$(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
commit=$(git -c user.name="${GIT_AUTHOR_NAME:-genmodels handout}" -c user.email="${GIT_AUTHOR_EMAIL:-handout@localhost}" \
  commit-tree "$tree" ${parent:+-p "$parent"} -m "Student edition of $source_commit (make student)")
git update-ref "refs/heads/$BRANCH" "$commit" ${parent:+"$parent"}
echo "$BRANCH -> $(git rev-parse --short "$commit"): ${#notebooks[@]} notebooks from $STUDENT_DIR"
