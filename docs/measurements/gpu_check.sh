#!/usr/bin/env bash
# Every GPU check of the toolkit in one call, results in one file (issue 22, item 6); under 5 minutes on one GPU.
#
#   bash docs/measurements/gpu_check.sh [RESULTS_FILE]     (default: gpu_check-<date>.txt in the current folder)
#
# 1. the device: nvidia-smi, torch and its CUDA build;
# 2. `benosc bench --quick --device cuda --json`: the full and reduced engines at R = 1, 64, 1024, 16384, 65536 on
#    CUDA, the recording overhead, sharpness checkpoints and the d-scaling rows (the fused engine is CPU-only and is
#    not timed on CUDA);
# 3. the engine, device and sweep tests with the default device 'auto', which is CUDA there.
# Without CUDA it says so and exits 0 with nothing measured.  Run it from an install with the `test` and `sweep` extras.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-gpu_check-$(date +%Y-%m-%d-%H%M%S).txt}"
if ! python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "gpu_check: no CUDA device here (torch.cuda.is_available() is False); nothing measured"
    exit 0
fi
status=0
{
    echo "# gpu_check $(date -Iseconds) at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || true
    python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))"
    echo "## benosc bench --quick --device cuda --json"
    timeout 180 benosc bench --quick --device cuda --json || echo "bench: exit status $?"
    echo "## tests on CUDA (device 'auto')"
    timeout 100 python -m pytest -q -x -p no:cacheprovider tests/simulate/test_engine.py tests/simulate/test_device_agnostic.py \
        tests/simulate/test_sweep.py tests/simulate/test_streaming.py || echo "tests: exit status $?"
} >"$OUT" 2>&1 || status=$?
echo "gpu_check: results in $OUT"
grep -E "^(bench|tests): exit status" "$OUT" && status=1
exit $status
