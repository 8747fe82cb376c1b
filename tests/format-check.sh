#!/bin/sh
# Checks that every tracked C source is formatted with the repository's .clang-format.
cd "$(dirname "$0")/.." || exit 1
if ! command -v clang-format >/dev/null 2>&1; then
        echo "SKIP: clang-format is not installed"
        exit 77
fi
if ! git rev-parse --git-dir >/dev/null 2>&1; then
        echo "SKIP: not a git checkout, cannot list the sources"
        exit 77
fi
bad=0
for f in $(git ls-files '*.c' '*.h'); do
        if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
                echo "FAIL: $f is not formatted (clang-format -i $f)"
                bad=$((bad + 1))
        fi
done
[ "$bad" -eq 0 ] && echo "PASS: all C sources formatted"
[ "$bad" -eq 0 ]
