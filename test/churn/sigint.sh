#!/usr/bin/env bash
# Starts eider-churn for an hour, interrupts it with SIGINT after a few seconds and asserts that
# it shuts down cleanly: exits 0 within the 5 s drain allowance, drops every table and passes
# its own checks (the slope bound is not meaningful for so short a run and is lifted).
#   sigint.sh EIDER_CHURN [SECONDS_BEFORE_SIGINT]
set -uo pipefail
bin=${1:?usage: sigint.sh EIDER_CHURN [SECONDS]}
wait_s=${2:-4}
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$bin" PT1H --check --max-slope 1e9 --rate 20 >"$out" 2>"$err" &
pid=$!
sleep "$wait_s"
kill -INT "$pid"
start=$(date +%s)
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: still running 10 s after SIGINT"; kill -KILL "$pid"; exit 1
fi
wait "$pid"
rc=$?
grep '^#' "$out"
cat "$err"
[ "$rc" -eq 0 ] || { echo "FAIL: exit status $rc after SIGINT"; exit 1; }
grep -q '^churn: interrupted' "$err" || { echo "FAIL: the interruption was not reported"; exit 1; }
grep -v '^churn: interrupted' "$err" | grep -q . && { echo "FAIL: error lines after SIGINT"; exit 1; }
grep -q '^# check: passed' "$out" || { echo "FAIL: checks did not pass"; exit 1; }
echo "ok: clean shutdown $(( $(date +%s) - start )) s after SIGINT"
