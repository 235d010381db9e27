#!/bin/sh
# Lines of the Lua bindings (Sources/Host/Bindings) at a git revision and in the working tree:
# the measure of issue 16's binding toolkit. "code" leaves out blank and comment-only lines
# (the comments document the Lua API and are meant to stay). The working tree is counted over
# the files the revision has, so bindings added since (new modules) do not blur the comparison;
# they are listed on their own.
#   tools/binding-lines.sh [REVISION]      (default: ad29022, the last commit before the toolkit)
set -eu
rev=${1:-ad29022}
files=$(git ls-tree --name-only "$rev" Sources/Host/Bindings/ | grep '\.swift$')
at_revision() { for f in $files; do git show "$rev:$f"; done; }
in_tree() { for f in $files; do [ -f "$f" ] && cat "$f"; done; }
report() { # $1: where, $2: a function printing the files
    all=$($2 | wc -l)
    code=$($2 | grep -vcE '^[[:space:]]*(//.*)?$' || true)
    printf '%-14s %5d lines, %5d of code\n' "$1" "$all" "$code"
}
report "$rev:" at_revision
report "working tree:" in_tree
for f in Sources/Host/Bindings/*.swift; do
    echo "$files" | grep -qx "$f" || printf '%-14s %5d lines in %s\n' "new since:" "$(wc -l < "$f")" "$f"
done
