#!/usr/bin/env bash
# The regime table of docs/claims.md: one `benosc verify` per regime, its exit status, wall time and verdicts.
# Run from the repository root with the venv active: bash docs/measurements/regimes.sh   (about 4 minutes)
out=$(mktemp -d)
B=benosc  # the venv's, on PATH
run() {
  local label=$1; shift
  local t0=$(date +%s.%N)
  $B verify "$@" --json --out "$out/verify" > "$out/verify.json" 2>/dev/null
  local rc=$?
  local t1=$(date +%s.%N)
  python3 -c "
import json,sys
o=json.load(open('"$out/verify.json"'))
ab={'pass':'pass','fail':'**fail**','not-applicable':'n/a','inconclusive':'inconcl.'}
print('| $label | $rc | %.0f s | ' % ($t1-$t0) + ' | '.join(ab[v['status']] for v in o['verdicts']) + ' |')"
}
run "default"
run "\`--set v_norm=1.0\` (r = 1)" --set v_norm=1.0
run "\`--set loss=logistic\`" --set loss=logistic
run "\`--set q=3.0\`" --set q=3.0
run "\`--eta-large 0.5 --eta-small 0.3\`" --eta-large 0.5 --eta-small 0.3
run "\`--eta-large 3.4\`" --eta-large 3.4
run "\`--set sigma_p=0.06\`" --set sigma_p=0.06
run "\`--seeds 3\`" --seeds 3
run "\`--seeds 10\`" --seeds 10
# the theorem's regime, d / n^2 = 16 and 64 (Gram draw: exact in law at any d; sigma_p keeps the noise norm sigma_p^2 (d - 2))
run "\`--set d=4096 --set draw=gram --set sigma_p=0.003692\` (d/n² = 16)" --set d=4096 --set draw=gram --set sigma_p=0.003692
run "\`--set d=16384 --set draw=gram --set sigma_p=0.001846\` (d/n² = 64)" --set d=16384 --set draw=gram --set sigma_p=0.001846
