using TypedGraph.Protos;

namespace TypedGraph.Kernels.Common;

/// <summary>Reads the attrs shared by NN kernels (data_format, strides, padding) with node-named errors.</summary>
internal static class KernelAttrs
{
    /// <summary>True for NCHW, false for NHWC (the default); anything else is an error.</summary>
    public static bool IsNchw(Node node)
    {
        string f = node.GetString("data_format", "NHWC");
        return f switch
        {
            "NHWC" => false,
            "NCHW" => true,
            _ => throw Err(node, $"unsupported data_format '{f}' (expected NHWC or NCHW)."),
        };
    }

    /// <summary>A 4-element list(int) attr in data_format order, returned as (batch, height, width, channel).</summary>
    public static (int N, int H, int W, int C) Quad(Node node, string name, bool nchw, long[]? fallback = null)
    {
        var v = node.GetInts(name, fallback);
        if (v.Length != 4) throw Err(node, $"attr '{name}' must have 4 elements, got {v.Length}.");
        return nchw ? ((int)v[0], (int)v[2], (int)v[3], (int)v[1]) : ((int)v[0], (int)v[1], (int)v[2], (int)v[3]);
    }

    /// <summary>The padding attr.</summary>
    public static PaddingKind PaddingOf(Node node)
    {
        string p = node.GetString("padding");
        try { return Padding.Parse(p); }
        catch (ArgumentException e) { throw Err(node, e.Message); }
    }

    /// <summary>The element dtype from attr <paramref name="name"/> (default "T"), or <paramref name="fallback"/>.</summary>
    public static DataType TypeOf(Node node, DataType fallback, string name = "T") => node.HasAttr(name) ? node.GetType(name) : fallback;

    /// <summary>An error naming the node.</summary>
    public static GraphExecutionException Err(Node node, string message) => new($"{node.Op} node '{node.Name}': {message}", node.Name);

    /// <summary>Error for an input dtype the kernel does not implement.</summary>
    public static GraphExecutionException BadType(Node node, DataType dtype)
        => Err(node, $"dtype {DataTypes.Name(dtype)} is not supported by this kernel.");
}
