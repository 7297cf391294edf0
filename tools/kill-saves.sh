#!/usr/bin/env bash
# kill -9 during saves, the long run (issue 9): N runs of tools/SaveKillProbe, each SIGKILLed at a random point while it
# saves checkpoints in a loop; after every kill the `checkpoint` state file must name only complete checkpoints with the
# right values, and the next save must remove the kill's temp files. Usage: tools/kill-saves.sh [N=100]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100}"
dotnet build Runtime.Tests -c Release 2>&1 | grep -E " error |rror\(s\)" || true
TYPEDGRAPH_SAVE_KILLS="$n" nice -n 19 dotnet test Runtime.Tests -c Release --no-build \
  --filter "FullyQualifiedName~SaverKillTests" --logger "console;verbosity=detailed" 2>&1 \
  | grep -E "kills, |Test Run|Total tests|Passed:|Failed|Assert|Error Message"
