using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>What a gradient function needs: the builder and TF's recurring gradient idioms.</summary>
public sealed class GradientContext
{
    internal GradientContext(GraphBuilder builder) => Builder = builder;

    /// <summary>The while loops being differentiated, or null when no loop is on the gradient path.</summary>
    internal ControlFlowState? Loops { get; init; }

    /// <summary>The builder (current scope = <c>gradients/&lt;op&gt;_grad/</c>).</summary>
    public GraphBuilder Builder { get; }

    /// <summary>Input <paramref name="i"/> of <paramref name="op"/> as a handle.</summary>
    public Output In(Node op, int i) => Builder.OutputOf(Builder.GetOperation(op.Inputs[i].NodeName), op.Inputs[i].Index);

    /// <summary>Output <paramref name="i"/> of <paramref name="op"/>.</summary>
    public Output Out(Node op, int i = 0) => Builder.OutputOf(op, i);

    /// <summary><c>array_ops.shape(x)</c>: a Const when the static shape is fully known, else a Shape op.</summary>
    public static Output ShapeOf(GraphBuilder b, Output x, string name = "Shape")
    {
        var s = StaticShapes.Of(b, x);
        if (s != null && s.All(d => d >= 0)) return b.Constant(s.Select(d => checked((int)d)).ToArray(), name);
        return b.Shape(x, name);
    }

    /// <summary>Shape of <paramref name="x"/> (see <see cref="ShapeOf(GraphBuilder, Output, string)"/>).</summary>
    public Output ShapeOf(Output x, string name = "Shape") => ShapeOf(Builder, x, name);

    /// <summary>
    /// TF's broadcasting gradient idiom for a binary op: <c>Shape</c>, <c>Shape_1</c>,
    /// <c>BroadcastGradientArgs</c>, then <c>Sum(gx, r0)</c> + <c>Reshape</c> and <c>Sum_1(gy, r1)</c> + <c>Reshape_1</c>.
    /// <paramref name="gx"/>/<paramref name="gy"/> build the unreduced gradients (null = no gradient) and run after the
    /// shape nodes, as in TF's <c>_MulGrad</c>.
    /// </summary>
    public Output?[] BroadcastReduce(Output x, Output y, Func<Output?> gx, Func<Output?> gy, Func<Output, Output>? postY = null)
    {
        var b = Builder;
        var sx = ShapeOf(x, "Shape");
        var sy = ShapeOf(y, "Shape_1");
        var bga = b.AddOperation("BroadcastGradientArgs", [sx, sy], null, "BroadcastGradientArgs");
        var r0 = b.OutputOf(bga, 0);
        var r1 = b.OutputOf(bga, 1);
        Output? rx = null, ry = null;
        if (gx() is Output ux) rx = b.Reshape(b.OutputOf(b.AddOperation("Sum", [ux, r0], null, "Sum")), sx, "Reshape");
        if (gy() is Output uy)
        {
            var summed = b.OutputOf(b.AddOperation("Sum", [uy, r1], null, "Sum"));
            if (postY != null) summed = postY(summed);
            ry = b.Reshape(summed, sy, "Reshape");
        }
        return [rx, ry];
    }

    /// <summary>An int32 Const vector.</summary>
    public Output Ints(int[] values, string name = "Const") => Builder.Constant(values, name);

    /// <summary>A scalar of <paramref name="like"/>'s dtype.</summary>
    public Output Scalar(double v, Output like, string name = "Const") => Builder.ScalarConstant(v, like.BaseType, name);

    /// <summary>Copies attrs (e.g. strides, padding) from the forward op.</summary>
    public static Dictionary<string, AttrValue> CopyAttrs(Node op, params string[] names)
    {
        var d = new Dictionary<string, AttrValue>();
        foreach (var n in names)
            if (op.Attr(n) is { } a) d[n] = a.Clone();
        return d;
    }
}
