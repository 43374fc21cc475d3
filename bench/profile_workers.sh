#!/usr/bin/env bash
# Sampling profile of the portal's Celery workers while bench/sync_throughput.py runs.
#
#   pip install py-spy          # once, in any environment (PY_SPY=/path/to/py-spy to pick one)
#   bench/profile_workers.sh [SECONDS] [-- bench arguments]
#
# Starts the benchmark (default: --invoices 6000 --scale 1), waits until it sends, records each
# worker process with py-spy for SECONDS (default 60; `--gil`: only the thread holding the GIL
# is sampled, so waits on Xero, PostgreSQL or the broker do not count and the samples follow
# the Python CPU time), then prints the functions taking the most samples, inclusive
# and own, with bench/profile_summary.py. The raw stacks stay in $OUT (default .local/profile/).
# py-spy needs ptrace rights over the workers: run as their user with ptrace allowed, or root.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RECORD="${1:-60}"
shift || true
[ "${1:-}" = "--" ] && shift
BENCH_ARGS=("$@")
[ ${#BENCH_ARGS[@]} -eq 0 ] && BENCH_ARGS=(--invoices 6000 --scale 1)
PY_SPY="${PY_SPY:-$(command -v py-spy || true)}"
if [ -z "$PY_SPY" ]; then
  echo "py-spy not found: pip install py-spy (or set PY_SPY=/path/to/py-spy)" >&2
  exit 2
fi
OUT="${OUT:-.local/profile}"
mkdir -p "$OUT"
rm -f "$OUT"/worker-*.txt

.venv/bin/python bench/sync_throughput.py "${BENCH_ARGS[@]}" >"$OUT/bench.txt" 2>"$OUT/bench.err" &
BENCH=$!
trap 'kill "$BENCH" 2>/dev/null || true' INT TERM

until grep -q "^Sending" "$OUT/bench.txt" 2>/dev/null; do
  if ! kill -0 "$BENCH" 2>/dev/null; then
    echo "the benchmark stopped before sending:" >&2
    cat "$OUT/bench.txt" "$OUT/bench.err" >&2
    exit 1
  fi
  sleep 1
done

# The workers are the benchmark's own `celery ... worker` children (not other benchmarks').
PIDS=()
for pid in $(ps -o pid= --ppid "$BENCH"); do
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "celery .* worker"; then
    PIDS+=("$pid")
  fi
done
echo "recording workers ${PIDS[*]} for ${SECONDS_TO_RECORD} s…"
RECORDERS=()
for pid in "${PIDS[@]}"; do
  "$PY_SPY" record --pid "$pid" --duration "$SECONDS_TO_RECORD" --rate 100 --gil --format raw \
    --output "$OUT/worker-$pid.txt" --nonblocking >/dev/null 2>&1 &
  RECORDERS+=($!)
done
wait "${RECORDERS[@]}"
wait "$BENCH" || true
cat "$OUT/bench.txt"
echo
.venv/bin/python bench/profile_summary.py "$OUT"/worker-*.txt
echo
.venv/bin/python bench/profile_summary.py "$OUT"/worker-*.txt --top 20 --match accounting/ | sed -n '/inclusive/,/^$/p'
