using System.Collections.Concurrent;
using TypedGraph.Kernels.Common;
using Xunit;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// <see cref="Workers.For{TState}"/> through the spinning helper threads: every item runs exactly once, from many
/// calling threads at once, nested inside another parallel call, after the helpers have gone to sleep, and a failing
/// chunk surfaces as the caller's exception.
/// </summary>
public sealed class WorkersTests
{
    private static int[] CountVisits(long count, long minChunk)
    {
        var visits = new int[count];
        Workers.For(count, minChunk, visits, static (v, s, e) =>
        {
            for (long i = s; i < e; i++) Interlocked.Increment(ref v[i]);
        });
        return visits;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(7, 1)]
    [InlineData(1000, 3)]
    [InlineData(100_003, 1000)]
    public void Every_item_runs_exactly_once(long count, long minChunk)
        => Assert.All(CountVisits(count, minChunk), v => Assert.Equal(1, v));

    [Fact]
    public void Concurrent_calls_from_many_threads_each_cover_their_own_range_once()
    {
        var failures = new ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (int r = 0; r < 300; r++)
            {
                long count = 50 + (t * 37 + r * 11) % 500;
                var v = CountVisits(count, 1);
                for (long i = 0; i < count; i++)
                    if (v[i] != 1) failures.Add($"thread {t} call {r}: item {i} ran {v[i]} times");
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
    }

    [Fact]
    public void A_parallel_call_inside_a_chunk_completes_and_covers_its_range()
    {
        var outer = new int[16, 64];
        Workers.For(16, 1, outer, static (o, s, e) =>
        {
            for (long i = s; i < e; i++)
            {
                long row = i;
                Workers.For(64, 1, (o, row), static (st, s2, e2) =>
                {
                    for (long j = s2; j < e2; j++) Interlocked.Increment(ref st.o[st.row, j]);
                });
            }
        });
        foreach (var v in outer) Assert.Equal(1, v);
    }

    [Fact]
    public void A_call_after_the_helpers_went_to_sleep_still_runs_everything()
    {
        Assert.All(CountVisits(4096, 1), v => Assert.Equal(1, v));
        // Well past the polling window, so a helper (if any) is blocked and must be woken.
        Thread.Sleep(TimeSpan.FromTicks(SpinningHelpers.SpinTicks * TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency * 20 + TimeSpan.TicksPerMillisecond * 20));
        Assert.All(CountVisits(4096, 1), v => Assert.Equal(1, v));
    }

    [Fact]
    public void A_failing_chunk_is_rethrown_to_the_caller_and_the_next_call_works()
    {
        var e = Assert.Throws<AggregateException>(() => Workers.For(1000, 1, 0, static (_, s, end) =>
        {
            if (s <= 500 && 500 < end) throw new InvalidOperationException("item 500");
        }));
        Assert.Equal("item 500", e.InnerException!.Message);
        Assert.All(CountVisits(1000, 1), v => Assert.Equal(1, v));
    }
}
