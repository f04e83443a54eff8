#!/usr/bin/env bash
# Second command of the README: the whole test suite (unit, integration as root, end to end).
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")"
# Root, or a user with sudo: then it runs itself again through sudo (a root-only machine has none).
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo bash "$PWD/test.sh" "$@"; fi
  echo "test.sh: run as root (the integration tests run real containers)" >&2
  exit 1
fi
DENO=.deno/bin/deno

if [ ! -x "$DENO" ] || [ ! -f sentry/build/libmoat.so ] ||
  ! cmp -s tests/npm/package-lock.json tests/npm/node_modules/.moat-installed-lock; then
  MOAT_NO_DEMO=1 bash install.sh || exit 1
fi
make -C sentry -s || exit 1
"$DENO" run --allow-all --no-lock --no-config tools/build_cli.ts || exit 1

log=$(mktemp)
NO_COLOR=1 "$DENO" test --allow-all --unstable-raw-imports --no-lock "$@" tests/ 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -1)
rm -f "$log"
passed=$(sed -nE 's/.*\| ([0-9]+) passed.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$summary")
if [ -z "$passed" ]; then
  # The runner did not get to its summary (a crash or a compile error): count that as a failure.
  echo "0 passed, 1 failed"
  exit 1
fi
echo "${passed} passed, ${failed:-0} failed"
exit "$status"
