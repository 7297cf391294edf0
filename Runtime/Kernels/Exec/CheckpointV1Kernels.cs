using System.Text;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// The V1 checkpoint ops of TF's Saver before 0.12 (save_restore_tensor.cc): <c>Save</c> (whole tensors),
/// <c>SaveSlices</c> (with <c>shapes_and_slices</c>, "" = whole), <c>Restore</c> and <c>RestoreSlice</c> (a file
/// pattern, sharded files matched by <c>?</c>/<c>*</c>). The file format is <see cref="CheckpointV1Reader"/>'s.
/// </summary>
internal sealed class CheckpointV1Kernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Save", node => new DelegateKernel(node, ctx => Save(ctx, withSlices: false)));
        registry.Add("SaveSlices", node => new DelegateKernel(node, ctx => Save(ctx, withSlices: true)));
        registry.Add("Restore", node =>
        {
            var dt = node.GetType("dt");
            return new DelegateKernel(node, ctx => Restore(ctx, dt, withSlice: false));
        });
        registry.Add("RestoreSlice", node =>
        {
            var dt = node.GetType("dt");
            return new DelegateKernel(node, ctx => Restore(ctx, dt, withSlice: true));
        });
    }

    // SaveTensors (save_restore_tensor.cc): names [N], optional shapes_and_slices [N], then N data inputs.
    private static void Save(OpKernelContext ctx, bool withSlices)
    {
        var filename = CheckpointKernels.StringScalar(ctx, 0, "filename");
        var names = ctx.Input(1).Strings.Select(s => Encoding.UTF8.GetString(s)).ToArray();
        int first = withSlices ? 3 : 2;
        int n = ctx.InputCount - first;
        if (names.Length != n) throw ctx.Error($"Expected tensor_names to have {n} elements, got {names.Length}.");
        string[] specs = withSlices ? ctx.Input(2).Strings.Select(s => Encoding.UTF8.GetString(s)).ToArray() : new string[n];
        if (specs.Length != n) throw ctx.Error($"Expected shapes_and_slices to have {n} elements, got {specs.Length}.");
        var slices = new List<(string, long[], TensorSlice, Tensor)>();
        for (int i = 0; i < n; i++)
        {
            var value = ctx.Input(first + i);
            var dims = value.Shape.ToArray().Select(d => (long)d).ToArray();
            if (string.IsNullOrEmpty(specs[i])) slices.Add((names[i], dims, new TensorSlice(new long[dims.Length], Enumerable.Repeat(-1L, dims.Length).ToArray()), value));
            else
            {
                var (full, slice) = CheckpointKernels.ParseSpec(ctx, specs[i], names[i]);
                if (!slice.ShapeIn(full).SequenceEqual(dims))
                    throw ctx.Error($"Slice {slice} of '{names[i]}' (shape [{string.Join(", ", full)}]) needs a [{string.Join(", ", slice.ShapeIn(full))}] value, got {value.Shape}.");
                slices.Add((names[i], full, slice, value));
            }
        }
        try
        {
            CheckpointV1Reader.Write(filename, slices);
        }
        catch (ArgumentException e)
        {
            throw ctx.Error(e.Message);
        }
    }

    private static void Restore(OpKernelContext ctx, DataType dt, bool withSlice)
    {
        var pattern = CheckpointKernels.StringScalar(ctx, 0, "file_pattern");
        var name = CheckpointKernels.StringScalar(ctx, 1, "tensor_name");
        var spec = withSlice ? CheckpointKernels.StringScalar(ctx, 2, "shape_and_slice") : "";
        RestoreAll(ctx, pattern, [name], [spec], [dt]);
    }

    /// <summary>Restores output i from tensor <paramref name="names"/>[i] of the V1 files <paramref name="pattern"/>
    /// (a whole tensor for an empty spec, else the spec's slice); also RestoreV2's fallback for V1 checkpoints.</summary>
    internal static void RestoreAll(OpKernelContext ctx, string pattern, string[] names, string[] specs, DataType[] dtypes)
    {
        CheckpointV1Reader reader;
        try
        {
            reader = CheckpointV1Reader.Open(pattern);
        }
        catch (CheckpointFormatException e)
        {
            throw ctx.Error(e.Message);
        }
        for (int i = 0; i < names.Length; i++) ctx.SetOutput(i, RestoreOne(ctx, reader, pattern, names[i], specs[i], dtypes[i]));
    }

    private static Tensor RestoreOne(OpKernelContext ctx, CheckpointV1Reader reader, string pattern, string name, string spec, DataType dt)
    {
        Tensor value;
        try
        {
            var meta = reader.GetTensor(name);
            if (meta.DType != dt)
                throw ctx.Error($"Tensor '{name}' in {pattern} is {DataTypes.Name(meta.DType)}, but the op expects {DataTypes.Name(dt)}.");
            if (spec.Length == 0) value = reader.Read(name);
            else
            {
                var (full, slice) = CheckpointKernels.ParseSpec(ctx, spec, name);
                if (!full.SequenceEqual(meta.Shape))
                    throw ctx.Error($"Shape in shape_and_slice spec [{string.Join(", ", full)}] does not match the shape stored in checkpoint: [{string.Join(", ", meta.Shape)}] (tensor '{name}').");
                value = reader.ReadSlice(name, slice);
            }
        }
        catch (CheckpointFormatException e)
        {
            throw ctx.Error(e.Message);
        }
        return value;
    }
}
