using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// Builds a variable's initial value in the current name scope with TF's node names
/// (<c>zeros</c>, <c>truncated_normal/…</c>, <c>random_uniform/…</c>, <c>Const</c>).
/// </summary>
public abstract class Initializer
{
    /// <summary>Adds the initial-value subgraph and returns its output.</summary>
    public abstract Output Build(GraphBuilder b, long[] shape, DataType dtype);

    /// <summary>Fan-in and fan-out as TF's <c>_compute_fans</c>: last two dims, times the receptive field.</summary>
    protected static (double FanIn, double FanOut) Fans(long[] shape)
    {
        if (shape.Length == 0) return (1, 1);
        if (shape.Length == 1) return (shape[0], shape[0]);
        if (shape.Length == 2) return (shape[0], shape[1]);
        double receptive = 1;
        for (int i = 0; i < shape.Length - 2; i++) receptive *= shape[i];
        return (shape[^2] * receptive, shape[^1] * receptive);
    }

    /// <summary>The int32 shape Const TF's random ops take.</summary>
    protected static Output ShapeConst(GraphBuilder b, long[] shape) => b.Constant(shape.Select(d => checked((int)d)).ToArray(), "shape");

    /// <summary>A scope named <paramref name="name"/> whose final op takes the scope's own name, as TF's
    /// <c>with ops.name_scope(name, "truncated_normal") as name: … math_ops.add(mul, mean, name=name)</c>.</summary>
    protected static Output Scoped(GraphBuilder b, string name, Func<Output[]> body, string finalOp)
    {
        var scope = b.UniqueName(name);
        Output[] parts;
        using (b.NameScope(scope + "/")) parts = body();
        return b.OutputOf(b.AddOperationExact(scope, finalOp, parts));
    }
}

/// <summary><c>tf.zeros(shape)</c>: one splat Const named <c>zeros</c>.</summary>
public sealed class ZerosInitializer : Initializer
{
    /// <inheritdoc/>
    public override Output Build(GraphBuilder b, long[] shape, DataType dtype) => b.Splat(0, dtype, shape, "zeros");
}

/// <summary><c>tf.ones(shape)</c>: one splat Const named <c>ones</c>.</summary>
public sealed class OnesInitializer : Initializer
{
    /// <inheritdoc/>
    public override Output Build(GraphBuilder b, long[] shape, DataType dtype) => b.Splat(1, dtype, shape, "ones");
}

/// <summary><c>tf.constant(value, shape=…)</c>: one splat Const named <c>Const</c>.</summary>
public sealed class ConstantInitializer(double value) : Initializer
{
    /// <inheritdoc/>
    public override Output Build(GraphBuilder b, long[] shape, DataType dtype) => b.Splat(value, dtype, shape, "Const");
}

/// <summary><c>tf.truncated_normal(shape, mean, stddev)</c>: <c>truncated_normal/{shape,mean,stddev,TruncatedNormal,mul}</c> + <c>truncated_normal</c> (Add).</summary>
public sealed class TruncatedNormal(double mean = 0, double stddev = 1, int? seed = null) : Initializer
{
    /// <inheritdoc/>
    public override Output Build(GraphBuilder b, long[] shape, DataType dtype) => Normal(b, shape, dtype, "truncated_normal", "TruncatedNormal", mean, stddev, seed);

    internal static Output Normal(GraphBuilder b, long[] shape, DataType dtype, string name, string op, double mean, double stddev, int? seed)
        => Scoped(b, name, () =>
        {
            var s = ShapeConst(b, shape);
            var m = b.ScalarConstant(mean, dtype, "mean");
            var sd = b.ScalarConstant(stddev, dtype, "stddev");
            var r = b.RandomOp(op, s, dtype, seed, op);
            return [b.Multiply(r, sd, "mul"), m];
        }, "Add");
}

/// <summary><c>tf.random_normal(shape, mean, stddev)</c>: <c>random_normal/…/RandomStandardNormal</c>.</summary>
public sealed class RandomNormal(double mean = 0, double stddev = 1, int? seed = null) : Initializer
{
    /// <inheritdoc/>
    public override Output Build(GraphBuilder b, long[] shape, DataType dtype) => TruncatedNormal.Normal(b, shape, dtype, "random_normal", "RandomStandardNormal", mean, stddev, seed);
}

/// <summary><c>tf.random_uniform(shape, min, max)</c>: <c>random_uniform/{shape,min,max,RandomUniform,sub,mul}</c> + <c>random_uniform</c> (Add).</summary>
public sealed class RandomUniform(double min = 0, double max = 1, int? seed = null) : Initializer
{
    /// <inheritdoc/>
    public override Output Build(GraphBuilder b, long[] shape, DataType dtype) => Uniform(b, shape, dtype, min, max, seed);

    internal static Output Uniform(GraphBuilder b, long[] shape, DataType dtype, double min, double max, int? seed)
        => Scoped(b, "random_uniform", () =>
        {
            var s = ShapeConst(b, shape);
            var lo = b.ScalarConstant(min, dtype, "min");
            var hi = b.ScalarConstant(max, dtype, "max");
            var r = b.RandomOp("RandomUniform", s, dtype, seed, "RandomUniform");
            var range = b.Subtract(hi, lo, "sub");
            return [b.Multiply(r, range, "mul"), lo];
        }, "Add");
}

/// <summary>Glorot (Xavier) uniform, TF's default for <c>get_variable</c> and <c>tf.layers.dense</c>:
/// uniform in ±√(6 / (fan_in + fan_out)).</summary>
public sealed class GlorotUniform(int? seed = null) : Initializer
{
    /// <inheritdoc/>
    public override Output Build(GraphBuilder b, long[] shape, DataType dtype)
    {
        var (fi, fo) = Fans(shape);
        double limit = Math.Sqrt(6.0 / (fi + fo));
        return RandomUniform.Uniform(b, shape, dtype, -limit, limit, seed);
    }
}

/// <summary>Glorot normal (TF 1.13 variance scaling): truncated normal with stddev
/// √(2 / (fan_in + fan_out)) / 0.87962566103423978 (the truncation correction).</summary>
public sealed class GlorotNormal(int? seed = null) : Initializer
{
    /// <inheritdoc/>
    public override Output Build(GraphBuilder b, long[] shape, DataType dtype)
    {
        var (fi, fo) = Fans(shape);
        double stddev = Math.Sqrt(2.0 / (fi + fo)) / 0.87962566103423978;
        return TruncatedNormal.Normal(b, shape, dtype, "truncated_normal", "TruncatedNormal", 0, stddev, seed);
    }
}
