#!/bin/sh
# Lines of the Lua bindings (Sources/Host/Bindings) at a git revision and in the working tree:
# the measure of issue 16's binding toolkit. "code" leaves out blank and comment-only lines
# (the comments document the Lua API and are meant to stay).
#   tools/binding-lines.sh [REVISION]      (default: ad29022, the last commit before the toolkit)
set -eu
rev=${1:-ad29022}
at_revision() {
    git ls-tree --name-only "$rev" Sources/Host/Bindings/ | grep '\.swift$' | while read -r f; do git show "$rev:$f"; done
}
in_tree() { cat Sources/Host/Bindings/*.swift; }
report() { # $1: where, $2: a function printing the files
    all=$($2 | wc -l)
    code=$($2 | grep -vcE '^[[:space:]]*(//.*)?$' || true)
    printf '%-14s %5d lines, %5d of code\n' "$1" "$all" "$code"
}
report "$rev:" at_revision
report "working tree:" in_tree
