using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>Shape-only ops: Reshape (one -1 inferred), Squeeze, ExpandDims (views, no copy), Shape, ShapeN, Size, Rank.</summary>
internal sealed class ShapeKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Reshape", node => new DelegateKernel(node, ctx =>
        {
            // Spec and dims on the stack, the shape from the context's cache: Reshape runs on every step of loop bodies.
            var x = ctx.Input(0);
            var spec = IndexValues.Read(ctx, 1, "shape", stackalloc long[8]);
            Span<int> dims = spec.Length <= 8 ? stackalloc int[8] : new int[spec.Length];
            dims = dims[..spec.Length];
            InferShape(ctx, x, spec, dims);
            ctx.SetOutput(0, x.Reshape(ctx.CachedShape(0, dims)));
        }));
        registry.Add("Squeeze", node =>
        {
            var axes = node.GetInts("squeeze_dims", node.GetInts("axis", []));
            return new DelegateKernel(node, ctx =>
            {
                var x = ctx.Input(0);
                int rank = x.Shape.Rank;
                Span<bool> drop = rank <= 8 ? stackalloc bool[8] : new bool[rank];
                drop = drop[..rank];
                drop.Clear();
                foreach (var a in axes)
                {
                    int ax = IndexValues.Axis(ctx, a, rank, "squeeze dim");
                    if (x.Shape[ax] != 1) throw ctx.Error($"cannot squeeze dim {ax} of shape {x.Shape}: it is not 1.");
                    drop[ax] = true;
                }
                Span<int> dims = rank <= 8 ? stackalloc int[8] : new int[rank];
                int kept = 0;
                for (int i = 0; i < rank; i++)
                    if (!(axes.Length == 0 ? x.Shape[i] == 1 : drop[i])) dims[kept++] = x.Shape[i];
                ctx.SetOutput(0, x.Reshape(ctx.CachedShape(0, dims[..kept])));
            });
        });
        registry.Add("ExpandDims", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            int rank = x.Shape.Rank;
            int ax = IndexValues.Axis(ctx, IndexValues.Scalar(ctx, 1, "dim"), rank + 1, "dim");
            Span<int> dims = rank < 8 ? stackalloc int[8] : new int[rank + 1];
            dims = dims[..(rank + 1)];
            for (int i = 0, k = 0; i <= rank; i++) dims[i] = i == ax ? 1 : x.Shape[k++];
            ctx.SetOutput(0, x.Reshape(ctx.CachedShape(0, dims)));
        }));
        registry.Add("Shape", node =>
        {
            var outType = node.GetType("out_type", DataType.DtInt32);
            return new DelegateKernel(node, ctx => IndexValues.Output(ctx, 0, outType, ctx.Input(0).Shape.Dims));
        });
        registry.Add("ShapeN", node =>
        {
            var outType = node.GetType("out_type", DataType.DtInt32);
            return new DelegateKernel(node, ctx =>
            {
                for (int i = 0; i < ctx.InputCount; i++) IndexValues.Output(ctx, i, outType, ctx.Input(i).Shape.Dims);
            });
        });
        registry.Add("Size", node =>
        {
            var outType = node.GetType("out_type", DataType.DtInt32);
            return new DelegateKernel(node, ctx => IndexValues.ScalarOutput(ctx, 0, outType, ctx.Input(0).NumElements));
        });
        registry.Add("Rank", node => new DelegateKernel(node, ctx => IndexValues.ScalarOutput(ctx, 0, DataType.DtInt32, ctx.Input(0).Shape.Rank)));
    }

    /// <summary>Resolves a Reshape spec into <paramref name="dims"/>: at most one -1, inferred from the element count (TF's Reshape op).</summary>
    internal static void InferShape(OpKernelContext ctx, Tensor x, ReadOnlySpan<long> spec, Span<int> dims)
    {
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < spec.Length; i++)
        {
            if (spec[i] == -1)
            {
                if (unknown >= 0) throw ctx.Error($"shape [{string.Join(", ", spec.ToArray())}] has more than one -1.");
                unknown = i;
                continue;
            }
            if (spec[i] < 0 || spec[i] > int.MaxValue) throw ctx.Error($"shape [{string.Join(", ", spec.ToArray())}] has an invalid dim {spec[i]}.");
            dims[i] = (int)spec[i];
            known *= spec[i];
        }
        if (unknown >= 0)
        {
            if (known == 0 || x.NumElements % known != 0)
                throw ctx.Error($"cannot reshape a tensor of shape {x.Shape} ({x.NumElements} elements) to [{string.Join(", ", spec.ToArray())}].");
            dims[unknown] = (int)(x.NumElements / known);
        }
        else if (known != x.NumElements)
            throw ctx.Error($"cannot reshape a tensor of shape {x.Shape} ({x.NumElements} elements) to [{string.Join(", ", spec.ToArray())}] ({known} elements).");
    }
}
