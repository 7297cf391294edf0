using TypedGraph.Execution;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Execution;

/// <summary>
/// The run-buffer pool's reference counting: tensors it made find their buffer through their tag, views made elsewhere
/// through the array, and a detached buffer's tensors never touch the buffer that later reuses its record.
/// </summary>
public class BufferPoolTests
{
    private static readonly TensorShape Four = new(4);

    [Fact]
    public void AReleasedBufferIsHandedOutAgainAndAHeldOneIsNot()
    {
        var pool = new BufferPool();
        var t = pool.Allocate(DataType.DtFloat, Four);
        pool.AddRef(t);
        var other = pool.Allocate(DataType.DtFloat, Four);
        Assert.False(other.SharesArray(t.BackingArray!)); // t is held: a second request gets another buffer
        pool.Release(other);
        pool.FreeIfUnheld(other);
        pool.Release(t);
        // Both free: the oldest of equal size comes back first, with the view made for it.
        Assert.Same(t, pool.Allocate(DataType.DtFloat, Four));
        Assert.Same(other, pool.Allocate(DataType.DtFloat, Four));
    }

    [Fact]
    public void AViewMadeOutsideThePoolCountsAgainstItsBuffer()
    {
        var pool = new BufferPool();
        var t = pool.Allocate(DataType.DtFloat, Four);
        var view = new Tensor(DataType.DtInt32, Four, t.Memory); // as Bitcast/Reshape make: same array, no tag
        pool.AddRef(view);
        pool.FreeIfUnheld(t); // held through the view: stays in use
        Assert.False(pool.Allocate(DataType.DtFloat, Four).SharesArray(t.BackingArray!));
        pool.Release(view); // the last holder lets go: free again
        var next = pool.Allocate(DataType.DtFloat, new TensorShape(2, 2));
        Assert.True(next.SharesArray(t.BackingArray!));
    }

    [Fact]
    public void ADetachedTensorNeverReleasesTheBufferThatReusesItsRecord()
    {
        var pool = new BufferPool();
        var fetched = pool.Allocate(DataType.DtFloat, Four);
        pool.AddRef(fetched);
        Assert.True(pool.Detach(fetched)); // the caller owns it now
        var fresh = pool.Allocate(DataType.DtFloat, Four); // a new array under the detached buffer's record
        Assert.False(fresh.SharesArray(fetched.BackingArray!));
        pool.AddRef(fresh);
        // The caller's tensor still carries the old record: it must not count against (and free) the new buffer.
        pool.Release(fetched);
        pool.Release(fetched);
        pool.FreeIfUnheld(fetched);
        Assert.False(pool.Detach(fetched));
        Assert.False(pool.Allocate(DataType.DtFloat, Four).SharesArray(fresh.BackingArray!)); // fresh is still held
        pool.Release(fresh);
        Assert.True(pool.Allocate(DataType.DtFloat, Four).SharesArray(fresh.BackingArray!));
    }

    [Fact]
    public void ElementSizesAreTheWidthsOfTypesProto()
    {
        // Independent of the table: the CLR type of each dtype that has one, and types.proto's widths for the rest.
        var expected = new Dictionary<DataType, int>
        {
            [DataType.DtFloat] = sizeof(float), [DataType.DtDouble] = sizeof(double), [DataType.DtInt32] = sizeof(int),
            [DataType.DtUint8] = sizeof(byte), [DataType.DtInt16] = sizeof(short), [DataType.DtInt8] = sizeof(sbyte),
            [DataType.DtComplex64] = 2 * sizeof(float), [DataType.DtInt64] = sizeof(long), [DataType.DtBool] = sizeof(bool),
            [DataType.DtQint8] = 1, [DataType.DtQuint8] = 1, [DataType.DtQint32] = 4, [DataType.DtBfloat16] = 2,
            [DataType.DtQint16] = 2, [DataType.DtQuint16] = 2, [DataType.DtUint16] = sizeof(ushort),
            [DataType.DtComplex128] = 2 * sizeof(double), [DataType.DtHalf] = 2, [DataType.DtUint32] = sizeof(uint),
            [DataType.DtUint64] = sizeof(ulong),
        };
        foreach (DataType dtype in Enum.GetValues<DataType>())
        {
            int want = expected.TryGetValue(DataTypes.BaseType(dtype), out int w) ? w : 0; // string, resource, variant, invalid, unknown: 0
            Assert.True(want == DataTypes.ElementSize(dtype), $"{dtype}: {DataTypes.ElementSize(dtype)} bytes, types.proto says {want}");
            Assert.Equal(want > 0, DataTypes.IsNumeric(dtype));
        }
        Assert.Equal(4, DataTypes.ElementSize((DataType)101)); // DT_FLOAT_REF
        Assert.Equal(0, DataTypes.ElementSize((DataType)99));
        Assert.Equal(0, DataTypes.ElementSize((DataType)(-1)));
    }
}
