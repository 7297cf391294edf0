using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>Tensors made from shapes and scalars: Fill, ZerosLike, OnesLike, Range.</summary>
internal sealed class FillKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Fill", node => new DelegateKernel(node, ctx =>
        {
            var dimsTensor = ctx.Input(0);
            if (dimsTensor.DType is not (DataType.DtInt32 or DataType.DtInt64)) IndexValues.Read(ctx, 0, "dims"); // throws TF's dtype error
            var value = ctx.Input(1);
            if (value.NumElements != 1 || value.Shape.Rank != 0) throw ctx.Error($"value must be a scalar, got shape {value.Shape}.");
            // Dims on the stack and the context's cached shape: Fill runs per iteration in loop gradients (zeros).
            Span<int> shape = dimsTensor.NumElements <= 8 ? stackalloc int[8] : new int[dimsTensor.NumElements];
            shape = shape[..(int)dimsTensor.NumElements];
            for (int i = 0; i < shape.Length; i++)
            {
                long d = dimsTensor.DType == DataType.DtInt32 ? dimsTensor.AsSpan<int>()[i] : dimsTensor.AsSpan<long>()[i];
                if (d < 0 || d > int.MaxValue)
                {
                    var all = IndexValues.Read(ctx, 0, "dims");
                    throw ctx.Error($"dims [{string.Join(", ", all)}] has an invalid entry.");
                }
                shape[i] = (int)d;
            }
            var o = ctx.AllocateOutput(0, value.DType, (ReadOnlySpan<int>)shape);
            ScalarValues.Fill(o, value);
        }));
        registry.Add("ZerosLike", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            var o = ctx.AllocateOutput(0, x.DType, x.Shape);
            if (x.DType == DataType.DtString) Array.Fill(o.Strings, []);
            else o.Bytes.Clear();
        }));
        registry.Add("OnesLike", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            if (!DataTypes.IsNumeric(x.DType)) throw ctx.Error($"OnesLike is not defined for {DataTypes.Name(x.DType)}.");
            var o = ctx.AllocateOutput(0, x.DType, x.Shape);
            ScalarValues.Fill(o, ScalarValues.Scalar(x.DType, 1));
        }));
        registry.Add("Range", node => new DelegateKernel(node, ctx =>
        {
            var start = ctx.Input(0);
            var dtype = start.DType;
            if (ctx.Input(1).DType != dtype || ctx.Input(2).DType != dtype) throw ctx.Error("start, limit and delta must have the same dtype.");
            for (int k = 0; k < 3; k++)
                if (ctx.Input(k).Shape.Rank != 0)
                    throw ctx.Error($"{(k == 0 ? "start" : k == 1 ? "limit" : "delta")} must be a scalar, not shape {ctx.Input(k).Shape}.");
            if (ScalarValues.IsIntegral(dtype))
            {
                long s = ScalarValues.GetLong(start, 0), l = ScalarValues.GetLong(ctx.Input(1), 0), d = ScalarValues.GetLong(ctx.Input(2), 0);
                if (d == 0) throw ctx.Error("delta must not be 0.");
                if (d > 0 ? s > l : s < l) throw ctx.Error($"requires start <= limit when delta > 0 (start {s}, limit {l}, delta {d}), or the reverse.");
                // TF's size for integers: ceil(|limit - start| / |delta|).
                long n = (Math.Abs(l - s) + Math.Abs(d) - 1) / Math.Abs(d);
                var o = ctx.AllocateOutput(0, dtype, new TensorShape(checked((int)n)));
                for (int i = 0; i < n; i++) ScalarValues.SetLong(o, i, s + i * d);
            }
            else
            {
                double s = ScalarValues.GetDouble(start, 0), l = ScalarValues.GetDouble(ctx.Input(1), 0), d = ScalarValues.GetDouble(ctx.Input(2), 0);
                if (d == 0) throw ctx.Error("delta must not be 0.");
                if (d > 0 ? s > l : s < l) throw ctx.Error($"requires start <= limit when delta > 0 (start {s}, limit {l}, delta {d}), or the reverse.");
                if (dtype == DataType.DtFloat)
                {
                    // TF computes the size and the values in T: in float32, 0.3f / 0.1f rounds to exactly 3
                    // (3 elements), while in double it is 3.00000007 (4 elements). Values accumulate like TF's
                    // `val += delta` loop.
                    float fs = (float)s, fl = (float)l, fd = (float)d;
                    long fn = (long)MathF.Ceiling(MathF.Abs((fl - fs) / fd));
                    var fo = ctx.AllocateOutput(0, dtype, new TensorShape(checked((int)fn)));
                    var span = fo.AsSpan<float>();
                    float val = fs;
                    for (int i = 0; i < span.Length; i++) { span[i] = val; val += fd; }
                    return;
                }
                long n = (long)Math.Ceiling(Math.Abs((l - s) / d));
                var o = ctx.AllocateOutput(0, dtype, new TensorShape(checked((int)n)));
                double dv = s;
                for (int i = 0; i < n; i++) { ScalarValues.SetDouble(o, i, dv); dv += d; }
            }
        }));
    }
}
