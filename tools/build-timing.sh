#!/usr/bin/env bash
# Build-time budget of the typed class (issue 11): a console app whose project holds the 12k-node / ~2 MB training
# graph (benchmarks/TrainingGraph.cs, Build(210)) versus the same app without a graph, both consuming the packed
# TypedGraph package the way a user does. Measures, per app, a clean build (bin/obj output removed, packages already
# restored) and an edit-rebuild (one line of Program.cs changed), REPS times each, and prints medians and ratios.
# Budget: graph app / empty app <= 1.5 for both.
#
#   tools/build-timing.sh                 # REPS=3
#   REPS=5 tools/build-timing.sh
#   BUILD_SERVERS=0 tools/build-timing.sh # no compiler server / MSBuild node reuse (every csc starts cold)
#   KEEP=1 tools/build-timing.sh          # keep the temp folder with both apps
#
# Needs only the repo and the packages it already uses (offline after the first restore). Run it on a quiet
# machine: the load average is printed with the results, since a busy machine makes every number noisy.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
reps="${REPS:-3}"
servers="${BUILD_SERVERS:-1}"
version="0.0.0-timing"
work="$(mktemp -d "${TMPDIR:-/tmp}/typedgraph-build-timing.XXXXXX")"
# KEEP=1 leaves the apps in place (to look at a build with -clp:PerformanceSummary, say).
[ "${KEEP:-0}" = "1" ] || trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
build_flags=(-c Release --no-restore -v:q -nologo)
[ "$servers" = "0" ] && build_flags+=(--disable-build-servers)

log() { echo "[build-timing] $*" >&2; }
fail() { echo "[build-timing] FAILED: $*" >&2; exit 1; }

log "work folder $work; load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
log "packing TypedGraph $version"
dotnet pack "$repo/packaging/TypedGraph.Package.csproj" -c Release -o "$work/feed" -p:Version=$version -v:q -nologo >"$work/pack.log" 2>&1 \
  || { cat "$work/pack.log" >&2; fail "dotnet pack"; }

global_packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cat >"$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="machine" value="$global_packages" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
EOF

# Apps live under $work so they see its nuget.config and none of the repo's Directory.*.props.
project() { # name, extra item xml
  mkdir -p "$work/$1"
  cat >"$work/$1/$1.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="TypedGraph.Runtime" Version="$version" />
    $2
  </ItemGroup>
</Project>
EOF
}

log "writing the 12k-node training graph"
project maker "<Compile Include=\"$repo/benchmarks/TrainingGraph.cs\" />"
cat >"$work/maker/Program.cs" <<'EOF'
using Google.Protobuf;
var meta = TypedGraph.Benchmarks.TrainingGraph.Build(210);
File.WriteAllBytes(args[0], meta.ToByteArray());
Console.WriteLine($"{meta.GraphDef.Node.Count} nodes");
EOF
dotnet run --project "$work/maker" -c Release -v:q -- "$work/mlp_train-1000.meta" >"$work/maker.log" 2>&1 \
  || { cat "$work/maker.log" >&2; fail "writing the graph"; }
graph_info="$(tail -1 "$work/maker.log"), $(stat -c %s "$work/mlp_train-1000.meta") bytes"
log "graph: $graph_info"

project empty ""
cat >"$work/empty/Program.cs" <<'EOF'
Console.WriteLine("empty");
EOF
project graph "<AdditionalFiles Include=\"../mlp_train-1000.meta\" ClassName=\"MlpModel\" Namespace=\"Timing\" />"
cat >"$work/graph/Program.cs" <<'EOF'
using Timing;
Console.WriteLine(MlpModel.SourceFile);
static object Touch(MlpModel m) => m.Layer7.W.Run();
EOF

for app in empty graph; do
  dotnet restore "$work/$app" -v:q >"$work/restore-$app.log" 2>&1 || { cat "$work/restore-$app.log" >&2; fail "restore $app"; }
  # Warm-up build (JIT of MSBuild/csc, compiler server start); also checks the app builds with no errors.
  dotnet build "$work/$app" "${build_flags[@]}" >"$work/warm-$app.log" 2>&1 || { cat "$work/warm-$app.log" >&2; fail "build $app"; }
done
[ -n "$(find "$work/graph/obj" -name '*.dll' -path '*Release*' 2>/dev/null)" ] || fail "graph app produced no assembly"

seconds() { local s e; s=$(date +%s.%N); "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; fail "$*"; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A clean edit
for app in empty graph; do clean[$app]=""; edit[$app]=""; done
for r in $(seq 1 "$reps"); do
  for app in empty graph; do
    rm -rf "$work/$app/bin" "$work/$app/obj/Release"
    clean[$app]+=" $(seconds dotnet build "$work/$app" "${build_flags[@]}")"
    echo "// edit $r $(date +%s%N)" >>"$work/$app/Program.cs"
    edit[$app]+=" $(seconds dotnet build "$work/$app" "${build_flags[@]}")"
  done
  log "rep $r/$reps: empty clean/edit ${clean[empty]##* }/${edit[empty]##* } s, graph ${clean[graph]##* }/${edit[graph]##* } s"
done

ce=$(median ${clean[empty]}); cg=$(median ${clean[graph]}); ee=$(median ${edit[empty]}); eg=$(median ${edit[graph]})
ratio() { echo "scale=2; $1 / $2" | bc; }
verdict() { awk -v r="$1" 'BEGIN { print (r <= 1.5 ? "ok" : "OVER BUDGET") }'; }
rc=$(ratio "$cg" "$ce"); re=$(ratio "$eg" "$ee")
echo
echo "TypedGraph build timing — graph: $graph_info; $reps reps; build servers: $([ "$servers" = 0 ] && echo off || echo on)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime); cores: $(nproc)"
printf '%-22s %10s %10s %8s %s\n' "median seconds" "empty app" "graph app" "ratio" "budget <= 1.5"
printf '%-22s %10.2f %10.2f %8s %s\n' "clean build" "$ce" "$cg" "$rc" "$(verdict "$rc")"
printf '%-22s %10.2f %10.2f %8s %s\n' "Program.cs edit" "$ee" "$eg" "$re" "$(verdict "$re")"
echo "all runs (s): empty clean${clean[empty]}; graph clean${clean[graph]}; empty edit${edit[empty]}; graph edit${edit[graph]}"
