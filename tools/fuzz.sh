#!/usr/bin/env bash
# Long mutation-fuzzing campaign (docs/reliability.md): the FuzzSmokeTests harness with a per-target time budget.
# Usage: tools/fuzz.sh [seconds-per-target] [findings-dir]
# One thread, lowest priority: the build machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
findings=${2:-$(mktemp -d -t tg-fuzz-findings-XXXX)}
log=$findings/campaign.log
dotnet build Runtime.Tests -c Release >/dev/null
TYPEDGRAPH_FUZZ_SECONDS=$secs TYPEDGRAPH_FUZZ_LOG=$log TYPEDGRAPH_FUZZ_FINDINGS=$findings \
  nice -n 19 dotnet test Runtime.Tests -c Release --no-build --filter "FullyQualifiedName~FuzzSmokeTests" -- xUnit.MaxParallelThreads=1 || true
cat "$log"
echo "findings (inputs that crashed, hung or threw untyped exceptions) in $findings"
