using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

public class ConcurrencyAndPoolingTests
{
    [Fact]
    public void ManyThreadsRunOneSessionConcurrently()
    {
        var meta = MetaGraph.Load(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
        using var session = new Session(meta.Graph);
        session.Restore(Fixtures.Path("smove_mlp"), meta.SaverDef);
        // Distinct inputs per thread (and two batch sizes, so plans share buffers of different shapes).
        var inputs = Enumerable.Range(0, 8).Select(t =>
        {
            int rows = t % 2 == 0 ? 3 : 7;
            return Tensor.Create(Enumerable.Range(0, rows * 21).Select(i => (float)Math.Sin(i * 0.37 + t)).ToArray(), rows, 21);
        }).ToArray();
        var expected = inputs.Select(x => session.Run("O:0", ("X:0", x)).ToArray<float>()).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 300; i++)
            {
                var got = session.Run("O:0", ("X:0", inputs[t])).ToArray<float>();
                if (!got.SequenceEqual(expected[t])) failures.Add($"thread {t} run {i}");
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        Assert.Empty(failures);
    }

    [Fact]
    public void ConcurrentRunsWithDifferentBroadcastShapesAgree()
    {
        // mnist_fc2's bias Adds broadcast [batch, n] + [n]; threads alternate batch sizes on shared kernels.
        var meta = MetaGraph.Load(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
        using var session = new Session(meta.Graph);
        session.Restore(Fixtures.Path("mnist_fc2", "fc2.ckpt"), meta.SaverDef);
        var inputs = Enumerable.Range(0, 6).Select(t =>
        {
            int rows = 1 + t * 3;
            return Tensor.Create(Enumerable.Range(0, rows * 784).Select(i => (float)((i * 7 + t) % 13) / 13f).ToArray(), rows, 784);
        }).ToArray();
        var expected = inputs.Select(x => session.Run("output/output:0", ("input/x:0", x)).ToArray<float>()).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 6, new ParallelOptions { MaxDegreeOfParallelism = 6 }, t =>
        {
            for (int i = 0; i < 60; i++)
                if (!session.Run("output/output:0", ("input/x:0", inputs[t])).ToArray<float>().SequenceEqual(expected[t])) failures.Add($"input {t} run {i}");
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void OnePreparedRunIsSafeAcrossThreads()
    {
        var meta = MetaGraph.Load(Fixtures.Path("smove_tf", "frozen_smovetf.pb"));
        using var session = new Session(meta.Graph);
        var run = session.Prepare(["O:0"], ["X:0"]);
        var inputs = Enumerable.Range(0, 4).Select(t => Tensor.Create(Enumerable.Range(0, 2 * 21).Select(i => (float)Math.Cos(i + 5 * t)).ToArray(), 2, 21)).ToArray();
        var expected = inputs.Select(x => run.Run(x)[0].ToArray<float>()).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            var results = new Tensor[1];
            for (int i = 0; i < 500; i++)
            {
                run.Run([inputs[t]], results);
                if (!results[0].ToArray<float>().SequenceEqual(expected[t])) failures.Add(t);
            }
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void ConcurrentAssignAddsAreNotLost()
    {
        var g = new ExecGraph();
        g.Variable("counter", DataType.DtInt64);
        g.Const("zero", Tensor.FromScalar(0L));
        g.Const("one", Tensor.FromScalar(1L));
        g.Op("counter/Assign", "Assign", ["counter", "zero"], T(DataType.DtInt64));
        g.Op("inc", "AssignAdd", ["counter", "one"], T(DataType.DtInt64), ("use_locking", Bool(false)));
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        s.Initialize();
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 500; i++) s.RunTargets("inc");
        });
        Assert.Equal(2000L, s.Run("counter:0").Scalar<long>());
    }

    [Fact]
    public void SteadyStateRunsAllocateOnlyTheFetchedOutput()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [-1, 64]);
        g.Const("c", Tensor.Create(Enumerable.Range(0, 64).Select(i => (float)i).ToArray(), 64));
        g.Op("a", "TestAdd", ["x", "c"]);
        g.Op("b", "TestAdd", ["a", "c"]);
        g.Op("c2", "TestAdd", ["b", "a"]);
        g.Op("out", "Identity", ["c2"], T(DataType.DtFloat));
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        var run = s.Prepare(["out:0"], ["x"]);
        var x = Tensor.Create(new float[32 * 64], 32, 64);
        var feeds = new[] { x };
        var results = new Tensor[1];
        for (int i = 0; i < 10; i++) run.Run(feeds, results); // warm up: plan, frame, buffers
        const int runs = 200;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < runs; i++) run.Run(feeds, results);
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / runs;
        // The fetched [32, 64] float output (8 KiB) is handed to the caller, so it is the one allocation
        // a run needs; the three intermediates (24 KiB) come from the frame's pooled buffers.
        Assert.True(perRun < 8192 + 512, $"{perRun} bytes per run");
        Assert.Equal(2 * 0 + 3 * 5f, results[0].AsSpan<float>()[5]); // (x + c) + c + (x + c) at column 5
    }

    [Fact]
    public void ASmallFetchedOutputCostsOnlyItsOwnArrayAndTensor()
    {
        // Serving at batch 1: the caller keeps the fetched buffer, so the frame's pool makes a new one next run. That
        // must be just the array and its tensor — the pool's bookkeeping for a buffer is reused, not made again.
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [1, 4]);
        g.Const("c", Tensor.Create(new[] { 1f, 2f, 3f, 4f }, 4));
        g.Op("a", "TestAdd", ["x", "c"]);
        g.Op("out", "TestAdd", ["a", "c"]);
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        var run = s.Prepare(["out:0"], ["x"]);
        var feeds = new[] { Tensor.Create(new[] { 10f, 20f, 30f, 40f }, 1, 4) };
        var results = new Tensor[1];
        for (int i = 0; i < 10; i++) run.Run(feeds, results);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++) run.Run(feeds, results);
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / 200;
        // What the caller receives, made the way the pool makes it: a 16-byte array and a tensor over it.
        before = GC.GetAllocatedBytesForCurrentThread();
        var own = new Tensor(DataType.DtFloat, new TensorShape(1, 4), new byte[16].AsMemory());
        long owned = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(perRun <= owned, $"{perRun} bytes per run; the output's own array and tensor are {owned}");
        Assert.Equal(new[] { 12f, 24f, 36f, 48f }, results[0].ToArray<float>());
        GC.KeepAlive(own);
    }

    [Fact]
    public void RunsWithoutFetchedOutputsAllocateAlmostNothing()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [-1, 64]);
        g.Const("c", Tensor.Create(new float[64], 64));
        g.Op("a", "TestAdd", ["x", "c"]);
        g.Op("b", "TestAdd", ["a", "c"]);
        g.Op("t", "NoOp", ["^b"]);
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        var run = s.Prepare([], ["x"], ["t"]);
        var feeds = new[] { Tensor.Create(new float[16 * 64], 16, 64) };
        for (int i = 0; i < 10; i++) run.Run(feeds, []);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++) run.Run(feeds, []);
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / 200;
        Assert.True(perRun < 64, $"{perRun} bytes per run");
    }
}

public class BufferReuseTests
{
    [Fact]
    public void AChainOfOpsReusesBuffersInsteadOfHoldingEveryIntermediate()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [64, 64]);
        g.Const("one", Tensor.FromScalar(1f));
        var prev = "x";
        for (int i = 0; i < 10; i++) prev = g.Op("add" + i, "TestAdd", [prev, "one"]);
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        var x = Tensor.Create(new float[64 * 64], 64, 64);
        var r = s.Run("add9:0", ("x", x));
        Assert.Equal(Enumerable.Repeat(10f, 64 * 64), r.ToArray<float>());
        var plan = s.GetPlan(["add9:0"], ["x"], []);
        s.Run("add9:0", ("x", x));
        // Ten 16 KiB intermediates, but at most two are alive at once (the fetched one is handed out).
        Assert.InRange(plan.PooledBytes(), 16384, 2 * 16384);
    }

    [Fact]
    public void ViewsKeepTheirBufferAliveUntilTheirOwnLastReader()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [4, 4]);
        g.Const("one", Tensor.FromScalar(1f));
        g.Const("flat", Tensor.Create(new[] { -1 }));
        g.Op("a", "TestAdd", ["x", "one"]);                 // x + 1
        g.Op("view", "Reshape", ["a", "flat"], ("T", Type(DataType.DtFloat)), ("Tshape", Type(DataType.DtInt32)));
        g.Op("b1", "TestAdd", ["x", "one"]);                // these would reuse a's buffer if it were freed early
        g.Op("b2", "TestAdd", ["b1", "one"]);
        g.Op("b3", "TestAdd", ["b2", "one"]);               // x + 3
        g.Op("b3flat", "Reshape", ["b3", "flat"], ("T", Type(DataType.DtFloat)), ("Tshape", Type(DataType.DtInt32)));
        g.Op("out", "TestAdd", ["view", "b3flat"]);         // 2x + 4
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        for (int run = 0; run < 3; run++)
        {
            var x = Tensor.Create(Enumerable.Range(0, 16).Select(i => (float)(i + run)).ToArray(), 4, 4);
            Assert.Equal(Enumerable.Range(0, 16).Select(i => 2f * (i + run) + 4), s.Run("out:0", ("x", x)).ToArray<float>());
        }
    }
}

public class SmallFetchAfterLargeIntermediatesTests
{
    [Fact]
    public void ASmallFetchedOutputDoesNotTakeABigPooledBuffer()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [64, 64]);
        g.Const("one", Tensor.FromScalar(1f));
        g.Op("a", "TestAdd", ["x", "one"]);
        g.Op("b", "TestAdd", ["a", "one"]);
        g.Const("begin", Tensor.Create(new[] { 0, 0 }));
        g.Const("size", Tensor.Create(new[] { 1, 4 }));
        g.Op("corner", "Slice", ["b", "begin", "size"], ("T", Type(DataType.DtFloat)), ("Index", Type(DataType.DtInt32)));
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        var run = s.Prepare(["corner:0"], ["x"]);
        var feeds = new[] { Tensor.Create(new float[64 * 64], 64, 64) };
        var results = new Tensor[1];
        for (int i = 0; i < 10; i++) run.Run(feeds, results);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) run.Run(feeds, results);
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
        Assert.Equal([2f, 2f, 2f, 2f], results[0].ToArray<float>());
        Assert.True(perRun < 1024, $"{perRun} bytes per run (the 16 KiB intermediates must stay pooled)");
    }
}
