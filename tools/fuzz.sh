#!/usr/bin/env bash
# Long mutation-fuzzing campaign (docs/reliability.md): the FuzzSmokeTests harness with a per-target time budget.
# Usage: tools/fuzz.sh [seconds-per-target] [findings-dir] [targets, comma-separated; default all]
# TYPEDGRAPH_FUZZ_MAX_INPUTS=N stops each target after N inputs. Targets run one at a time, one thread, lowest
# priority: the build machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
findings=${2:-$(mktemp -d -t tg-fuzz-findings-XXXX)}
targets=${3:-graph,index,data,checkpoint-state,npy,session,example,tfrecord}
log=$findings/campaign.log
dotnet build Runtime.Tests -c Release >/dev/null
for t in ${targets//,/ }; do
  TYPEDGRAPH_FUZZ_TARGETS=$t TYPEDGRAPH_FUZZ_SECONDS=$secs TYPEDGRAPH_FUZZ_LOG=$log TYPEDGRAPH_FUZZ_FINDINGS=$findings \
    nice -n 19 dotnet test Runtime.Tests -c Release --no-build \
    --filter "FullyQualifiedName~FuzzSmokeTests" -- xUnit.MaxParallelThreads=1 >/dev/null || true
done
cat "$log"
echo "findings (inputs that crashed, hung, threw untyped exceptions or read back wrong values) in $findings"
