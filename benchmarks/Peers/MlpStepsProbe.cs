using TypedGraph.Execution;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>
/// Where the MLP's Session run goes beyond its first GEMM (<c>-- mlp-steps</c>): interleaved rounds of the whole
/// prepared run, the same run into bound outputs with a per-step observer (each step's own time; the rest is executor overhead), and the
/// first layer's packed GEMM with its bias+ReLU epilogue called directly. Medians over all rounds.
/// </summary>
internal static class MlpStepsProbe
{
    public static void Run(int batch, int rounds)
    {
        var mlp = new MlpBench { Batch = batch };
        mlp.Setup();
        var w1 = BenchData.Random(7, 784 * 128, 0.05f);
        var b1 = Tensor.Create(BenchData.Random(8, 128, 0.1f), 128);
        var x = BenchData.Random(6, batch * 784);
        var h = new float[batch * 128];
        var packed = global::TypedGraph.Kernels.Simd.Gemm.PackBRetained(false, 784, 128, w1);
        var def = new Protos.NodeDef { Name = "probe", Op = "_FusedMatMul" };
        def.Attr["fused_ops"] = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { S = { Google.Protobuf.ByteString.CopyFromUtf8("BiasAdd"), Google.Protobuf.ByteString.CopyFromUtf8("Relu") } } };
        var epilogue = global::TypedGraph.Kernels.Common.Epilogue.FromNode(new Node(def, 0));
        var feeds = new[] { Tensor.Create(x, batch, 784) };
        var outputs = mlp.Prepared.Run(feeds);
        var into = new List<double>();
        var whole = new List<double>();
        var layer1 = new List<double>();
        var observed = new List<double>();
        var perStep = new Dictionary<string, List<double>>();
        var current = new Dictionary<string, double>();
        double tick = 1e6 / System.Diagnostics.Stopwatch.Frequency;
        for (int round = 0; round < rounds; round++)
        {
            whole.Add(Ceiling.Median(() => mlp.OursSession(), 200) * 1e6);
            into.Add(Ceiling.Median(() => mlp.Prepared.RunInto(feeds, outputs), 200) * 1e6);
            layer1.Add(Ceiling.Median(() => global::TypedGraph.Kernels.Simd.Gemm.SgemmPrepacked(false, false, batch, 128, 784, x, w1, packed, h, epilogue, b1), 200) * 1e6);
            for (int i = 0; i < 200; i++)
            {
                current.Clear();
                StaticExecutor.StepObserver = (step, ticks) => current[step.Node.Op + " " + step.Node.Name] = ticks * tick;
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                mlp.Prepared.RunInto(feeds, outputs);
                observed.Add((System.Diagnostics.Stopwatch.GetTimestamp() - t0) * tick);
                StaticExecutor.StepObserver = null;
                foreach (var (k, v) in current)
                {
                    if (!perStep.TryGetValue(k, out var l)) perStep[k] = l = [];
                    l.Add(v);
                }
            }
        }
        static double Median(List<double> l) { l.Sort(); return l[l.Count / 2]; }
        Console.WriteLine($"MLP batch {batch}: session Run {Median(whole):F2} us, RunInto {Median(into):F2} us; layer-1 packed GEMM+epilogue alone {Median(layer1):F2} us");
        double sum = 0;
        foreach (var (k, l) in perStep)
        {
            double m = Median(l);
            sum += m;
            Console.WriteLine($"  {k,-36} {m,8:F2} us");
        }
        Console.WriteLine($"  observed run {Median(observed):F2} us, sum of step medians {sum:F2} us, rest (executor, feeds, fetch) {Median(observed) - sum:F2} us");
        mlp.Cleanup();
    }

    /// <summary>
    /// A/B of the row-chain fusion (<c>-- mlp-chain-ab</c>): the same MLP prepared with the default registry (one
    /// _FusedMatMulChain step) and with a registry lacking that op (the plan of before: _FusedMatMul, _FusedMatMul,
    /// Softmax), runs into bound outputs, interleaved rounds of 200; medians over all rounds.
    /// </summary>
    public static void ChainAB(int batch, int rounds)
    {
        var mlp = new MlpBench { Batch = batch };
        mlp.Setup();
        var registry = new global::TypedGraph.Kernels.KernelRegistry();
        foreach (var op in global::TypedGraph.Kernels.KernelRegistry.Default.OpTypes)
            if (op != "_FusedMatMulChain") registry.Add(op, global::TypedGraph.Kernels.KernelRegistry.Default.Find(op)!);
        using var before = mlp.Graph.CreateSession(new SessionOptions { Registry = registry });
        var runA = mlp.Prepared;
        var runB = before.Prepare([.. runA.FetchNames], [.. runA.FeedNames]);
        var feeds = new[] { Tensor.Create(BenchData.Random(6, batch * 784), batch, 784) };
        var outA = runA.Run(feeds);
        var outB = runB.Run(feeds);
        for (int i = 0; i < 3; i++)
        {
            runA.RunInto(feeds, outA);
            runB.RunInto(feeds, outB);
        }
        if (!outA[0].AsSpan<float>().SequenceEqual(outB[0].AsSpan<float>())) throw new InvalidOperationException("chain and separate ops differ");
        var a = new List<double>();
        var b = new List<double>();
        // Process CPU time too: on a loaded machine it leaves out the time other processes held our cores (it still
        // counts a core spinning while it waits for the other).
        double cpuA = 0, cpuB = 0;
        var process = System.Diagnostics.Process.GetCurrentProcess();
        for (int round = 0; round < rounds; round++)
        {
            var c0 = process.TotalProcessorTime;
            a.Add(Ceiling.Median(() => runA.RunInto(feeds, outA), 200) * 1e6);
            process.Refresh();
            var c1 = process.TotalProcessorTime;
            b.Add(Ceiling.Median(() => runB.RunInto(feeds, outB), 200) * 1e6);
            process.Refresh();
            cpuA += (c1 - c0).TotalMicroseconds / 201;
            cpuB += (process.TotalProcessorTime - c1).TotalMicroseconds / 201;
        }
        a.Sort();
        b.Sort();
        var chain = runA.Plan.Steps.Select(st => st.Kernel).OfType<global::TypedGraph.Kernels.Linalg.MatMulChainKernel>().Single();
        Console.WriteLine($"plan with the chain: {string.Join(", ", runA.Plan.Steps.Select(st => st.Node.Op))}; its row-part runs: {chain.RowPartRuns}");
        var exps = BenchData.Random(3, batch * 10);
        var expOut = new float[exps.Length];
        double tp = 0, ve = 0;
        for (int round = 0; round < 20; round++)
        {
            tp += Ceiling.Best(() => System.Numerics.Tensors.TensorPrimitives.Exp(exps, expOut), 200) * 1e6 / 20;
            ve += Ceiling.Best(() => global::TypedGraph.Kernels.Simd.VectorExp.Exp(exps, expOut), 200) * 1e6 / 20;
        }
        Console.WriteLine($"exp of {exps.Length} floats: TensorPrimitives {tp:F3} us, VectorExp {ve:F3} us (best of 200, mean of 20 rounds)");
        Console.WriteLine($"MLP batch {batch} RunInto: chain {a[rounds / 2]:F2} us, separate ops {b[rounds / 2]:F2} us, ratio {a[rounds / 2] / b[rounds / 2]:F3} " +
            $"(wall medians, interleaved, {rounds} rounds × 200); process CPU per run {cpuA / rounds:F2} vs {cpuB / rounds:F2} us, ratio {cpuA / cpuB:F3}");
        mlp.Cleanup();
    }
}
