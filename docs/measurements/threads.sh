#!/usr/bin/env bash
# Wall time of `benosc simulate` and `benosc verify` (defaults) at 1 and 2 torch threads,
# on an idle machine and with one competing CPU-bound process (a Python busy loop).
# Run from the repository root with the venv's benosc on PATH: bash docs/measurements/threads.sh
set -u
out=$(mktemp -d)
run() {  # label, command...
  local label=$1; shift
  local t0=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  local rc=$?
  local t1=$(date +%s.%N)
  printf "%-34s %7.1f s  (exit %d)\n" "$label" "$(echo "$t1 - $t0" | bc)" "$rc"
}
for load in idle loaded; do
  if [ "$load" = loaded ]; then python3 -c "while True: pass" & burner=$!; sleep 1; fi
  for n in 1 2; do
    run "simulate, $load, --threads $n" benosc simulate --threads "$n" --out "$out/sim"
    run "verify, $load, --threads $n" benosc verify --threads "$n" --out "$out/verify"
  done
  if [ "$load" = loaded ]; then kill "$burner"; fi
done
rm -rf "$out"
