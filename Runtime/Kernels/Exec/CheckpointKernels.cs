using System.Globalization;
using System.Text;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// The Saver's ops: SaveV2, RestoreV2 (whole tensors or <c>shape_and_slices</c> slices of partitioned
/// variables), MergeV2Checkpoints, plus the string helpers sharded saves use: ShardedFilename, StringJoin.
/// </summary>
internal sealed class CheckpointKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("SaveV2", node => new DelegateKernel(node, Save));
        registry.Add("RestoreV2", node =>
        {
            var dtypes = node.GetTypes("dtypes");
            return new DelegateKernel(node, ctx => Restore(ctx, dtypes));
        });
        registry.Add("MergeV2Checkpoints", node =>
        {
            bool deleteOldDirs = node.GetBool("delete_old_dirs", true);
            return new DelegateKernel(node, ctx =>
            {
                var prefixes = ctx.Input(0).Strings.Select(Utf8).ToList();
                var destination = StringScalar(ctx, 1, "destination_prefix");
                CheckpointMerger.Merge(prefixes, destination, deleteInputs: true);
                if (!deleteOldDirs) return;
                // As TF: try to remove each input's (now empty) directory; a non-empty one stays.
                foreach (var dir in prefixes.Select(Path.GetDirectoryName).Distinct())
                {
                    if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir) || Directory.EnumerateFileSystemEntries(dir).Any()) continue;
                    try
                    {
                        Directory.Delete(dir);
                    }
                    catch (IOException) { }
                }
            });
        });
        registry.Add("ShardedFilename", node => new DelegateKernel(node, ctx =>
        {
            var basename = StringScalar(ctx, 0, "basename");
            long shard = IndexValues.Scalar(ctx, 1, "shard"), num = IndexValues.Scalar(ctx, 2, "num_shards");
            ctx.SetOutput(0, Tensor.FromString(string.Create(CultureInfo.InvariantCulture, $"{basename}-{shard:D5}-of-{num:D5}")));
        }));
        registry.Add("ShardedFilespec", node => new DelegateKernel(node, ctx =>
        {
            var basename = StringScalar(ctx, 0, "basename");
            long num = IndexValues.Scalar(ctx, 1, "num_shards");
            ctx.SetOutput(0, Tensor.FromString(string.Create(CultureInfo.InvariantCulture, $"{basename}-?????-of-{num:D5}")));
        }));
        registry.Add("StringJoin", node =>
        {
            var separator = Encoding.UTF8.GetBytes(node.GetString("separator", ""));
            return new DelegateKernel(node, ctx => StringJoin(ctx, separator));
        });
    }

    private static void Save(OpKernelContext ctx)
    {
        var prefix = StringScalar(ctx, 0, "prefix");
        var names = ctx.Input(1).Strings;
        var specs = ctx.Input(2).Strings;
        if (names.Length != ctx.InputCount - 3 || specs.Length != names.Length)
            throw ctx.Error($"got {names.Length} tensor names, {specs.Length} shape_and_slices and {ctx.InputCount - 3} tensors; they must match.");
        var dir = Path.GetDirectoryName(Path.GetFullPath(prefix));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var writer = new CheckpointWriter(prefix, CheckpointDataOrder.AddOrder); // SaveV2 writes its inputs in order
        for (int i = 0; i < names.Length; i++)
        {
            var name = Utf8(names[i]);
            var value = ctx.Input(3 + i);
            var spec = Utf8(specs[i]);
            if (spec.Length == 0) writer.Add(name, value);
            else
            {
                var (full, slice) = ParseSpec(ctx, spec, name);
                writer.AddSlice(name, full, slice, value);
            }
        }
        writer.Finish();
    }

    private static void Restore(OpKernelContext ctx, DataType[] dtypes)
    {
        var prefix = StringScalar(ctx, 0, "prefix");
        var names = ctx.Input(1).Strings;
        var specs = ctx.Input(2).Strings;
        if (names.Length != dtypes.Length || specs.Length != names.Length)
            throw ctx.Error($"got {names.Length} tensor names and {specs.Length} shape_and_slices for {dtypes.Length} dtypes.");
        // RestoreV2 (save_restore_v2_ops.cc) falls back to the V1 reader when there is no V2 index at the prefix.
        if (!File.Exists(prefix + ".index") && CheckpointV1Reader.Exists(prefix))
        {
            CheckpointV1Kernels.RestoreAll(ctx, prefix, names.Select(Utf8).ToArray(), specs.Select(Utf8).ToArray(), dtypes);
            return;
        }
        using var reader = CheckpointReader.Open(prefix);
        for (int i = 0; i < names.Length; i++)
        {
            var name = Utf8(names[i]);
            if (!reader.Contains(name))
                throw ctx.Error($"Key {name} not found in checkpoint '{reader.Prefix}'.");
            var value = reader.Read(name);
            if (value.DType != dtypes[i])
                throw ctx.Error($"tensor '{name}' in checkpoint '{reader.Prefix}' is {DataTypes.Name(value.DType)}, but the graph expects {DataTypes.Name(dtypes[i])}.");
            var spec = Utf8(specs[i]);
            if (spec.Length > 0)
            {
                // The full tensor may be a mapped view: it stays alive (and is then unmapped) around the copy.
                using var full = value;
                value = Extract(ctx, full, spec, name);
            }
            ctx.SetOutput(i, value);
        }
    }

    /// <summary>Cuts the slice named by a <c>shape_and_slices</c> entry out of the full stored tensor.</summary>
    private static Tensor Extract(OpKernelContext ctx, Tensor full, string spec, string name)
    {
        var (fullShape, slice) = ParseSpec(ctx, spec, name);
        if (!fullShape.SequenceEqual(full.Shape.ToArray().Select(d => (long)d)))
            throw ctx.Error($"'{name}' has shape {full.Shape} in the checkpoint, but the slice spec '{spec}' says [{string.Join(", ", fullShape)}].");
        var box = slice.ShapeIn(fullShape).Select(d => (int)d).ToArray();
        var strides = StridedCopy.Strides(full.Shape.Dims);
        long start = 0;
        for (int d = 0; d < box.Length; d++) start += (slice.IsFullAt(d) ? 0 : slice.Starts[d]) * strides[d];
        var result = Tensor.Zeros(full.DType, new TensorShape(box));
        StridedCopy.Run(full, start, strides, result, 0, StridedCopy.Strides(box), box);
        return result;
    }

    /// <summary>Parses <c>"dim0 dim1 … slice"</c> (e.g. <c>"10 5 0,5:-"</c>).</summary>
    internal static (long[] Full, TensorSlice Slice) ParseSpec(OpKernelContext ctx, string spec, string name)
    {
        var parts = spec.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            var full = parts[..^1].Select(p => long.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
            var slice = TensorSlice.Parse(parts[^1]);
            if (slice.Rank != full.Length) throw new FormatException("rank mismatch");
            return (full, slice);
        }
        catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException or ArgumentException)
        {
            throw ctx.Error($"shape_and_slices entry '{spec}' for '{name}' is malformed ({e.Message}).");
        }
    }

    private static void StringJoin(OpKernelContext ctx, byte[] separator)
    {
        TensorShape shape = TensorShape.Scalar;
        for (int i = 0; i < ctx.InputCount; i++)
        {
            var s = ctx.Input(i).Shape;
            if (s.Rank == 0) continue;
            if (shape.Rank != 0 && shape != s) throw ctx.Error($"inputs must be scalars or all of one shape, got {shape} and {s}.");
            shape = s;
        }
        int n = checked((int)shape.NumElements);
        var result = new byte[n][];
        for (int e = 0; e < n; e++)
        {
            var buf = new List<byte>();
            for (int i = 0; i < ctx.InputCount; i++)
            {
                if (i > 0) buf.AddRange(separator);
                var strs = ctx.Input(i).Strings;
                buf.AddRange(strs[strs.Length == 1 ? 0 : e]);
            }
            result[e] = [.. buf];
        }
        ctx.SetOutput(0, new Tensor(shape, result));
    }

    internal static string StringScalar(OpKernelContext ctx, int input, string what)
    {
        var t = ctx.Input(input);
        if (t.DType != DataType.DtString || t.NumElements != 1) throw ctx.Error($"{what} must be a string scalar, got {DataTypes.Name(t.DType)}{t.Shape}.");
        return Utf8(t.Strings[0]);
    }

    private static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);
}
