#!/usr/bin/env bash
# Runs make targets in order, times each, stops at the first that fails, and ends with a table of
# every phase's wall-clock duration (also after a failure), so `make test` shows where its time went.
# Usage: tests/phases.sh TARGET...   (called by `make test`; MAKE and MAKEFLAGS come from make)
set -uo pipefail
make_cmd=${MAKE:-make}
names=() seconds=() results=()
status=0
for target in "$@"; do
  started=$(date +%s)
  "$make_cmd" --no-print-directory "$target"
  rc=$?
  names+=("$target") seconds+=($(( $(date +%s) - started )))
  if ((rc == 0)); then results+=(ok); else results+=("failed (exit $rc)"); status=$rc; break; fi
done
total=0
echo
echo "== make test: phases =="
for i in "${!names[@]}"; do
  s=${seconds[$i]}
  total=$((total + s))
  printf '%-10s %3d min %02d s  %s\n' "${names[$i]}" $((s / 60)) $((s % 60)) "${results[$i]}"
done
printf '%-10s %3d min %02d s\n' total $((total / 60)) $((total % 60))
exit "$status"
