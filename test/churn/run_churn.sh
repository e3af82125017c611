#!/usr/bin/env bash
# Runs eider-churn for SECONDS with --check and asserts what the tool checks (no error line, the
# RSS slope bound over the second half, nothing but the empty catalog's metadata left in the pool
# after the final drops, RSS back near its start after eider_close), plus the output format.
#   run_churn.sh EIDER_CHURN SECONDS [more eider-churn options...]
# SECONDS may be overridden by the environment variable CHURN_SECONDS.
set -uo pipefail
if [ $# -lt 2 ]; then echo "usage: run_churn.sh EIDER_CHURN SECONDS [options]" >&2; exit 2; fi
bin=$1
seconds=${CHURN_SECONDS:-$2}
shift 2
# glibc creates another malloc arena whenever a thread finds its arena locked; on a busy machine
# that happens at random moments and adds tens of KiB of RSS that no query holds. Two arenas
# keep that noise out of a 60-second slope, which is meant to see the engine's own memory.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$bin" "PT${seconds}S" --check "$@" >"$out" 2>"$err"
rc=$?
grep '^#' "$out"
if [ -s "$err" ]; then echo "--- stderr:"; cat "$err"; fi
samples=$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}, [0-9]+$' "$out")
if [ "$samples" -lt "$seconds" ]; then
  echo "FAIL: $samples RSS lines for a ${seconds} s run"
  exit 1
fi
if grep -vqE '^([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}, [0-9]+|#.*)$' "$out"; then
  echo "FAIL: unexpected lines on stdout"
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "FAIL: eider-churn exited with $rc"
  if grep -q '^# CHECK FAILED: RSS slope' "$out"; then
    echo "note: the slope is measured on the process's RSS, which includes malloc's per-thread arenas;"
    echo "      on a machine busy with other work they grow by some tens of KiB while they warm up"
  fi
  exit 1
fi
echo "ok: ${seconds} s churn run, $samples RSS samples"
