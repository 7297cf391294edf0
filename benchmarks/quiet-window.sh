#!/bin/bash
# The quiet-window benchmark run behind docs/performance.md's tables (issue 12): BenchmarkDotNet peers + ceiling, the
# training benchmarks, then the probes. Run it on an otherwise idle machine (no build, no other dotnet process) after
# `dotnet build -c Release benchmarks`; it prints the load average before, after the peers run and at the end.
cd "$(dirname "$0")/.."
B="dotnet run -c Release --no-build --project benchmarks --"
echo "start $(date -u +%H:%M:%S) load: $(cat /proc/loadavg)"; ps -eo pid,pcpu,comm --sort=-pcpu | head -5
echo "commit $(git rev-parse --short HEAD)"
BENCH_ITERATIONS=15 $B --filter '*Peers*' '*CeilingBench*'
echo "after peers $(date -u +%H:%M:%S) load: $(cat /proc/loadavg)"
BENCH_ITERATIONS=15 $B --filter '*TrainingBenchmarks*'
# LSTM(128) x 100 at batch 1 (a generation / serving step: per-step overhead and the weight matrix's bandwidth).
BENCH_LSTM_BATCH=1 BENCH_ITERATIONS=15 $B --filter '*LstmBench*'
$B gemm-big
$B mlp-parts
$B mlp-chain-ab
$B throughput 1 9
$B profile
$B train-profile
$B lstm-check 30
$B gru-ab 15
$B char-rnn 1,32 30
$B keras-lstm 1,32 2000
echo "end $(date -u +%H:%M:%S) load: $(cat /proc/loadavg)"
