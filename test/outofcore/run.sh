#!/usr/bin/env bash
# test/outofcore/run.sh — the out-of-core suite: every query of eider_ooc_query (see ooc_query.c)
# in a process of its own, first without a memory limit (the reference answer), then under the
# limit; the two hashes must match and the limited process's peak RSS (VmHWM) must stay at or
# under the limit plus 64 MiB. Prints one line per query and a summary; exits 1 if any failed.
#
#   test/outofcore/run.sh --build DIR [--rows N] [--limit SIZE] [--threads N] [--queries "0 1 2 ..."]
#
# Limits use eider's units (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024).
set -uo pipefail

build="" rows=10000000 limit=300MB threads=2 queries="0 1 2 3 4 4g 5v 5s 6"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --queries) queries="$2"; shift 2 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$build" ] && [ -x "$build/eider_ooc_query" ] || { echo "run.sh: --build DIR with eider_ooc_query needed" >&2; exit 2; }

to_kib() { # "300MB" -> KiB
  local v="${1%%[A-Za-z]*}" u="${1##*[0-9]}"
  case "${u^^}" in
    ""|B) echo $(( v / 1024 )) ;;
    KB) echo $(( v * 1000 / 1024 )) ;;   KIB) echo "$v" ;;
    MB) echo $(( v * 1000000 / 1024 )) ;; MIB) echo $(( v * 1024 )) ;;
    GB) echo $(( v * 1000000000 / 1024 )) ;; GIB) echo $(( v * 1024 * 1024 )) ;;
    *) echo "run.sh: bad size '$1'" >&2; exit 2 ;;
  esac
}
bound_kib=$(( $(to_kib "$limit") + 64 * 1024 ))
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
failed=0
printf '%-4s %-8s %10s %10s %12s %12s  %s\n' query status seconds ref_s peak_rss_MiB bound_MiB note
for q in $queries; do
  ref="$("$build/eider_ooc_query" --query "$q" --rows "$rows" --threads "$threads" --temp-dir "$work/ref" 2>"$work/err")"
  out="$("$build/eider_ooc_query" --query "$q" --rows "$rows" --threads "$threads" --memory-limit "$limit" \
         --temp-dir "$work/tmp" 2>>"$work/err")"
  rc=$?
  status=ok note=""
  if ! grep -q "^RESULT $q ok" <<<"$ref"; then status=FAIL; note="reference: ${ref#RESULT $q }"
  elif ! grep -q "^RESULT $q ok" <<<"$out" || [ $rc -ne 0 ]; then status=FAIL; note="${out#RESULT $q }$(tr '\n' ' ' <"$work/err")"
  elif [ "$(field hash "$ref")" != "$(field hash "$out")" ]; then status=FAIL; note="hash $(field hash "$out") != $(field hash "$ref")"
  elif [ "$(field peak_rss_kib "$out")" -gt "$bound_kib" ]; then status=FAIL; note="peak RSS over the bound"
  fi
  [ -d "$work/tmp" ] && [ -n "$(ls -A "$work/tmp" 2>/dev/null)" ] && { status=FAIL; note="$note temp files left: $(ls "$work/tmp")"; }
  [ "$status" = ok ] || failed=$((failed + 1))
  peak="$(field peak_rss_kib "$out")"
  printf '%-4s %-8s %10s %10s %12s %12s  %s\n' "$q" "$status" "$(field seconds "$out")" "$(field seconds "$ref")" \
    "$(( ${peak:-0} / 1024 ))" "$(( bound_kib / 1024 ))" "$note"
  : >"$work/err"
done
echo "out-of-core: rows=$rows limit=$limit threads=$threads: $failed failed"
[ "$failed" -eq 0 ]
