#!/bin/sh
# Every C++ source the repository tracks is formatted as .clang-format says (`make format`
# rewrites them). Run by ctest (label unit), so `make test` enforces the style.
top=${1:-.}
cd "$top" || exit 1
command -v clang-format >/dev/null || { echo "format: clang-format is missing (scripts/deps installs it)" >&2; exit 1; }
files=$(git ls-files '*.cc' '*.h' 2>/dev/null)
[ -n "$files" ] || { echo "format: no tracked sources under $top" >&2; exit 1; }
if ! echo "$files" | xargs clang-format --dry-run --Werror 2>/tmp/bh-format.$$; then
  grep 'error:' /tmp/bh-format.$$ | cut -d: -f1 | sort -u | sed 's/^/format: not formatted: /' >&2
  rm -f /tmp/bh-format.$$
  echo "format: run 'make format' (clang-format -i on the files above)" >&2
  exit 1
fi
rm -f /tmp/bh-format.$$
echo "format: ok ($(echo "$files" | wc -l) files)"
