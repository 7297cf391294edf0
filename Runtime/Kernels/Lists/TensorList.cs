using TypedGraph.Protos;

namespace TypedGraph.Kernels.Lists;

/// <summary>
/// The value inside a DT_VARIANT TensorList tensor (TF 2.x's TensorArray): element dtype, element shape (partial:
/// null = unknown rank, −1 = unknown dim), the elements (null = never set, read as zeros when the shape allows, as
/// TF's list kernels do) and the optional maximum size of <c>EmptyTensorList</c>. Lists are values: every op that
/// "changes" a list returns a new one (TF forwards the buffer only when nothing else holds it — unobservable).
/// </summary>
internal sealed class TensorList
{
    internal TensorList(DataType elementDType, long[]? elementShape, Tensor?[] items, int maxNumElements = -1)
    {
        ElementDType = elementDType;
        ElementShape = elementShape;
        Items = items;
        MaxNumElements = maxNumElements;
    }

    /// <summary>The element dtype.</summary>
    public DataType ElementDType { get; }

    /// <summary>The declared element shape: null for unknown rank, −1 for an unknown dim.</summary>
    public long[]? ElementShape { get; }

    /// <summary>The elements; null where an element was never set.</summary>
    public IReadOnlyList<Tensor?> Items { get; }

    /// <summary>The maximum number of elements (<c>EmptyTensorList</c>'s <c>max_num_elements</c>), −1 for unbounded.</summary>
    public int MaxNumElements { get; }

    internal Tensor?[] CopyItems() => [.. Items];

    internal TensorList With(Tensor?[] items) => new(ElementDType, ElementShape, items, MaxNumElements);

    /// <inheritdoc/>
    public override string ToString() => $"TensorList<{DataTypes.Name(ElementDType)}>[{Items.Count}]";
}
