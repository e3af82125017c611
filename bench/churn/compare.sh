#!/usr/bin/env bash
# Runs the seed's churn workload against eider (eider-churn) and against the peer engine
# (DuckDB through @duckdb/node-api, bench/churn/churn.mjs) for the same duration, at the same
# time, and draws both RSS curves on one chart.
#   bench/churn/compare.sh [DURATION] [-- options for both, e.g. --rate 5 --tables 100]
# Environment: EIDER_CHURN (default build/eider-churn), OUT (default build/churn-compare),
# SEQUENTIAL=1 to run one after the other instead of side by side.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
duration=${1:-PT2M}
shift || true
[ "${1:-}" = "--" ] && shift
bin=${EIDER_CHURN:-$root/build/eider-churn}
out=${OUT:-$root/build/churn-compare}
mkdir -p "$out"
[ -x "$bin" ] || { echo "compare.sh: $bin not found (build first, or set EIDER_CHURN)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "compare.sh: gnuplot is needed (apt-get install gnuplot-nox)" >&2; exit 1; }
"$here/setup"

echo "running eider-churn and the DuckDB peer for $duration ..."
if [ "${SEQUENTIAL:-0}" = 1 ]; then
  "$bin" "$duration" "$@" >"$out/eider.txt" 2>"$out/eider.err" || true
  node "$here/churn.mjs" "$duration" "$@" >"$out/duckdb.txt" 2>"$out/duckdb.err" || true
else
  "$bin" "$duration" "$@" >"$out/eider.txt" 2>"$out/eider.err" &
  e=$!
  node "$here/churn.mjs" "$duration" "$@" >"$out/duckdb.txt" 2>"$out/duckdb.err" &
  d=$!
  wait $e || true
  wait $d || true
fi

# `YYYY-MM-DD HH:MM:SS, rss_kib` lines -> `elapsed_s rss_mib` (elapsed from the first sample)
to_data() {
  grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}, [0-9]+$' "$1" | while IFS=, read -r stamp kib; do
    echo "$(date -d "$stamp" +%s) $kib"
  done | awk 'NR == 1 { t0 = $1 } { printf "%d %.3f\n", $1 - t0, $2 / 1024 }'
}
to_data "$out/eider.txt" >"$out/eider.dat"
to_data "$out/duckdb.txt" >"$out/duckdb.dat"

gnuplot <<GP
set terminal pngcairo size 1200,600 font ',10'
set output '$out/churn-compare.png'
set title 'create / load 10,000 rows / drop, 100 tables kept, 5 tables/s, 4 workers ($duration)'
set xlabel 'elapsed (minutes)'
set ylabel 'RSS (MiB)'
set grid
set key top left
set yrange [0:*]
plot '$out/eider.dat' using (\$1/60):2 with lines lw 2 title 'eider (eider-churn)', \
     '$out/duckdb.dat' using (\$1/60):2 with lines lw 2 title 'DuckDB (node-api, RSS of the node process)'
GP

echo "== eider";  grep '^#' "$out/eider.txt" || true; cat "$out/eider.err"
echo "== DuckDB"; grep '^#' "$out/duckdb.txt" || true; cat "$out/duckdb.err"
echo "chart: $out/churn-compare.png"
