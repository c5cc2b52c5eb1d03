#!/usr/bin/env bash
# The scaling paths of docs/scaling.md, one `benosc sweep` + one `benosc scale` each (issue 21, item 4).
#   bash docs/measurements/scaling_paths.sh OUTDIR [a b b16 c d check checks t]   (default: all)
# Every path: eta = 0.5, 1.2, 1.5 x eta_crit, 10 seeds, 16,000 steps (the defaults), the Gram draw (exact in law, any d),
# sigma_p scaled so that the noise norm sigma_p^2 (d - 2) stays the paper size's (0.03^2 x 62).
set -euo pipefail
out=${1:?usage: scaling_paths.sh OUTDIR [paths...]}; shift || true
paths=${*:-a b b16 c d check checks t}
mkdir -p "$out"
common=(--set draw=gram --grid eta_over_crit=0.5,1.2,1.5 --seeds 10 --couple "sigma_p=0.03*sqrt(62/(d-2))")
run() {  # name, sweep arguments...
  local name=$1; shift
  /usr/bin/time -f "$name: sweep %e s, %M KB" benosc sweep "$@" --out "$out/$name.zarr" > "$out/$name.sweep.txt"
  /usr/bin/time -f "$name: scale %e s" benosc scale "$out/$name.zarr" --out "$out/$name" > "$out/$name.scale.txt"
}
for p in $paths; do
  case $p in
    a)   run a --path d=64:65536:6:geom "${common[@]}" ;;                                   # d / n^2 from 1/4 to 256
    b)   run b --path n=8:128:5:geom --couple "d=4*n**2" "${common[@]}" ;;                 # d = 4 n^2, n from 8 to 128
    b16) run b16 --path n=8:64:4:geom --couple "d=16*n**2" "${common[@]}" ;;               # d = 16 n^2, n from 8 to 64
    c)   run c --path m=8:256:6:geom --set d=1024 "${common[@]}" ;;                        # m from 8 to 256 at d / n^2 = 4
    d)   run d --path d=64:65536:6:geom --couple "sigma_0=d**-0.5" "${common[@]}" ;;       # (a) with sigma_0 = d^-1/2
    check) /usr/bin/time -f "check: sweep %e s, %M KB" benosc sweep --path d=64,256 --set draw=vectors --grid eta_over_crit=0.5,1.2,1.5 \
             --seeds 10 --couple "sigma_p=0.03*sqrt(62/(d-2))" --out "$out/check.zarr" > "$out/check.sweep.txt"  # the vector draw at (a)'s first two sizes
           benosc scale "$out/a.zarr" --check "$out/check.zarr" --out "$out/a_check" > "$out/a_check.scale.txt" ;;  # needs path a
    checks)  # the vector draw at the first two points of paths b, c and d, against each (needs those paths)
           benosc sweep --path n=8,16 --couple "d=4*n**2" --couple "sigma_p=0.03*sqrt(62/(d-2))" --set draw=vectors \
             --grid eta_over_crit=0.5,1.2,1.5 --seeds 10 --out "$out/check_b.zarr" > /dev/null
           benosc scale "$out/b.zarr" --check "$out/check_b.zarr" --out "$out/b_check" > "$out/b_check.scale.txt"
           benosc sweep --path m=8,16 --set d=1024 --couple "sigma_p=0.03*sqrt(62/(d-2))" --set draw=vectors \
             --grid eta_over_crit=0.5,1.2,1.5 --seeds 10 --out "$out/check_c.zarr" > /dev/null
           benosc scale "$out/c.zarr" --check "$out/check_c.zarr" --out "$out/c_check" > "$out/c_check.scale.txt"
           benosc sweep --path d=64,256 --couple "sigma_0=d**-0.5" --couple "sigma_p=0.03*sqrt(62/(d-2))" --set draw=vectors \
             --grid eta_over_crit=0.5,1.2,1.5 --seeds 10 --out "$out/check_d.zarr" > /dev/null
           benosc scale "$out/d.zarr" --check "$out/check_d.zarr" --out "$out/d_check" > "$out/d_check.scale.txt" ;;
    t)   run t --path d=64:65536:6:geom --set draw=gram --grid eta_over_crit=0.8:1.2:9 --seeds 10 \
             --couple "sigma_p=0.03*sqrt(62/(d-2))" ;;                                    # (a) on a fine eta grid: the transition's width
  esac
done
