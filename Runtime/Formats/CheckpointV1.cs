using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Formats;

/// <summary>One tensor of a V1 checkpoint: its name, dtype, full shape and the slices saved of it.</summary>
public sealed record CheckpointV1Tensor(string Name, DataType DType, long[] Shape, IReadOnlyList<TensorSlice> Slices);

/// <summary>
/// Reads V1 checkpoints (TF before 0.12 by default, and <c>tf.train.Saver(write_version=V1)</c>), as TF's
/// <c>TensorSliceReader</c> (tensor_slice_reader.cc) does: every file matching the pattern is a table
/// (<c>table_builder.cc</c> layout, uncompressed) whose empty key holds a <c>SavedTensorSlices</c> with the metadata,
/// and whose key <c>EncodeTensorNameSlice(name, slice)</c> holds that slice's values in the typed repeated fields of a
/// <c>TensorProto</c> (<c>float_val</c>, <c>int64_val</c>…, as tensor_slice_writer.h's <c>SaveTypeTraits</c> fills them).
/// A tensor may be split over several slices and files; reading assembles it.
/// </summary>
public sealed class CheckpointV1Reader
{
    private readonly Dictionary<string, CheckpointV1Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string File, byte[] Value)> _data = new(StringComparer.Ordinal); // hex key → value

    private CheckpointV1Reader(string pattern) => Pattern = pattern;

    /// <summary>The file pattern given (<c>model.ckpt</c> or <c>model.ckpt-?????-of-00002</c>).</summary>
    public string Pattern { get; }

    /// <summary>The tensors by name, sorted.</summary>
    public IReadOnlyList<CheckpointV1Tensor> Tensors => _tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();

    /// <summary>True when <paramref name="pattern"/> names at least one existing file that is not a V2 index or data file.</summary>
    public static bool Exists(string pattern) => MatchingFiles(pattern).Count > 0;

    /// <summary>Opens every file matching <paramref name="pattern"/> (<c>?</c> and <c>*</c> in the file name, as TF's
    /// <c>Env::GetMatchingPaths</c>).</summary>
    /// <exception cref="CheckpointFormatException">No file matches, a file is not a V1 table, or its metadata is damaged.</exception>
    public static CheckpointV1Reader Open(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var files = MatchingFiles(pattern);
        if (files.Count == 0) throw new CheckpointFormatException(pattern, "no V1 checkpoint files match this pattern.");
        var reader = new CheckpointV1Reader(pattern);
        foreach (var file in files) reader.Load(file);
        return reader;
    }

    private static List<string> MatchingFiles(string pattern)
    {
        if (!pattern.Contains('?') && !pattern.Contains('*')) return File.Exists(pattern) ? [pattern] : [];
        var dir = Path.GetDirectoryName(pattern);
        if (string.IsNullOrEmpty(dir)) dir = ".";
        if (!Directory.Exists(dir)) return [];
        var regex = new Regex("^" + Regex.Escape(Path.GetFileName(pattern)).Replace(@"\?", ".").Replace(@"\*", ".*") + "$", RegexOptions.CultureInvariant);
        return Directory.GetFiles(dir).Where(f => regex.IsMatch(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList();
    }

    private void Load(string file)
    {
        List<KeyValuePair<byte[], byte[]>> entries;
        try
        {
            entries = TableReader.ReadAll(File.ReadAllBytes(file), file);
        }
        catch (CheckpointFormatException e)
        {
            throw new CheckpointFormatException(file, "not a V1 checkpoint table: " + e.Message, e);
        }
        SavedTensorSliceMeta? meta = null;
        foreach (var (key, value) in entries)
        {
            if (key.Length == 0)
            {
                try
                {
                    meta = SavedTensorSlices.Parser.ParseFrom(value).Meta;
                }
                catch (InvalidProtocolBufferException e)
                {
                    throw new CheckpointFormatException(file, "the metadata entry is not a SavedTensorSlices proto.", e);
                }
            }
            else _data[Convert.ToHexString(key)] = (file, value);
        }
        if (meta == null) throw new CheckpointFormatException(file, "not a V1 checkpoint: the table has no metadata entry (empty key).");
        foreach (var t in meta.Tensor)
        {
            var shape = (t.Shape == null || t.Shape.UnknownRank ? null : t.Shape.Dim.Select(d => d.Size).ToArray()) ?? throw new CheckpointFormatException(file, $"tensor '{t.Name}' has an unknown-rank shape.");
            if (shape.Any(d => d < 0)) throw new CheckpointFormatException(file, $"tensor '{t.Name}' has a negative dimension.");
            var slices = t.Slice.Select(TensorSlice.FromProto).ToList();
            if (slices.Any(s => s.Rank != shape.Length)) throw new CheckpointFormatException(file, $"tensor '{t.Name}' has a slice whose rank differs from its shape's.");
            if (_tensors.TryGetValue(t.Name, out var seen))
            {
                // tensor_slice_reader: the same tensor in several files must agree on shape and type.
                if (seen.DType != t.Type || !seen.Shape.SequenceEqual(shape))
                    throw new CheckpointFormatException(file, $"tensor '{t.Name}' has a different shape or dtype than in another file of '{Pattern}'.");
                _tensors[t.Name] = seen with { Slices = [.. seen.Slices, .. slices] };
            }
            else _tensors[t.Name] = new CheckpointV1Tensor(t.Name, t.Type, shape, slices);
        }
    }

    /// <summary>True when the checkpoint holds <paramref name="name"/>.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The tensor <paramref name="name"/>'s metadata.</summary>
    /// <exception cref="CheckpointFormatException">No such tensor (TF: "Tensor name … not found in checkpoint files").</exception>
    public CheckpointV1Tensor GetTensor(string name) => _tensors.TryGetValue(name, out var t) ? t
        : throw new CheckpointFormatException(Pattern, $"Tensor name \"{name}\" not found in checkpoint files {Pattern}.");

    /// <summary>The full value of <paramref name="name"/>, assembled from its slices.</summary>
    /// <exception cref="CheckpointFormatException">No such tensor, a missing or malformed slice, or slices that do not cover it.</exception>
    public Tensor Read(string name)
    {
        var t = GetTensor(name);
        var shape = TensorShape.FromLongs(t.Shape);
        long total = shape.NumElements;
        long covered = 0;
        var full = NewFlat(t.DType, total, name);
        foreach (var slice in t.Slices)
        {
            var sliceShape = slice.ShapeIn(t.Shape);
            for (int d = 0; d < t.Shape.Length; d++)
                if (slice.Starts[d] < 0 || slice.Starts[d] > t.Shape[d] - sliceShape[d])
                    throw new CheckpointFormatException(Pattern, $"tensor '{name}': slice {slice} lies outside its shape [{string.Join(", ", t.Shape)}].");
            long n = sliceShape.Aggregate(1L, (a, b) => a * b);
            var key = Convert.ToHexString(SliceKeys.Encode(name, slice));
            if (!_data.TryGetValue(key, out var entry))
                throw new CheckpointFormatException(Pattern, $"tensor '{name}': the data of slice {slice} is missing.");
            SavedSlice saved;
            try
            {
                saved = SavedTensorSlices.Parser.ParseFrom(entry.Value).Data
                    ?? throw new CheckpointFormatException(entry.File, $"tensor '{name}': the entry of slice {slice} holds no data.");
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new CheckpointFormatException(entry.File, $"tensor '{name}': the entry of slice {slice} is not a SavedTensorSlices proto.", e);
            }
            var part = Values(saved.Data, t.DType, n, entry.File, name);
            CopyBox(part, sliceShape, full, t.Shape, slice.Starts);
            covered += n;
        }
        if (covered != total)
            throw new CheckpointFormatException(Pattern, $"tensor '{name}': its saved slices hold {covered} of {total} elements.");
        return ToTensor(full, t.DType, shape);
    }

    /// <summary>The part <paramref name="slice"/> of <paramref name="name"/> (RestoreSlice's <c>shape_and_slice</c>).</summary>
    /// <exception cref="CheckpointFormatException">No such tensor, or the slice lies outside it.</exception>
    public Tensor ReadSlice(string name, TensorSlice slice)
    {
        var t = GetTensor(name);
        if (slice.Rank != t.Shape.Length)
            throw new CheckpointFormatException(Pattern, $"tensor '{name}' has rank {t.Shape.Length}; slice {slice} has rank {slice.Rank}.");
        var sliceShape = slice.ShapeIn(t.Shape);
        for (int d = 0; d < t.Shape.Length; d++)
            if (slice.Starts[d] < 0 || slice.Starts[d] > t.Shape[d] - sliceShape[d])
                throw new CheckpointFormatException(Pattern, $"tensor '{name}': slice {slice} lies outside its shape [{string.Join(", ", t.Shape)}].");
        if (slice.CoversAll(t.Shape)) return Read(name);
        var whole = Read(name);
        var src = ToArray(whole);
        var dst = NewFlat(t.DType, sliceShape.Aggregate(1L, (a, b) => a * b), name);
        ExtractBox(src, t.Shape, dst, sliceShape, slice.Starts);
        return ToTensor(dst, t.DType, TensorShape.FromLongs(sliceShape));
    }

    // Element arrays by dtype: numeric dtypes as their CLR arrays, strings as byte[][].
    private Array NewFlat(DataType dtype, long count, string name)
    {
        if (AllocationLimits.Exceeds(AllocationLimits.Product(count, 8)))
            throw new CheckpointFormatException(Pattern, $"tensor '{name}' has {count} elements, more than can be allocated.");
        return dtype switch
        {
            DataType.DtFloat => new float[count],
            DataType.DtDouble => new double[count],
            DataType.DtInt32 => new int[count],
            DataType.DtInt64 => new long[count],
            DataType.DtInt16 => new short[count],
            DataType.DtInt8 => new sbyte[count],
            DataType.DtUint8 => new byte[count],
            DataType.DtBool => new bool[count],
            DataType.DtHalf => new Half[count],
            DataType.DtString => new byte[count][],
            _ => throw new CheckpointFormatException(Pattern, $"tensor '{name}' has dtype {DataTypes.Name(dtype)}, which this V1 reader does not read."),
        };
    }

    // SaveTypeTraits (tensor_slice_writer.h): float → float_val, double → double_val, int32/int16/int8/uint8 →
    // int_val, int64 → int64_val, bool → bool_val, half → half_val (bits), string → string_val. A tensor_content
    // (which TF's V1 writer never emits) is accepted too.
    private static Array Values(TensorProto p, DataType dtype, long n, string file, string name)
    {
        Array values;
        if (!p.TensorContent.IsEmpty && dtype != DataType.DtString)
        {
            var bytes = p.TensorContent.Span;
            int size = DataTypes.ElementSize(dtype);
            if (bytes.Length != n * size) throw Count(bytes.Length / Math.Max(size, 1));
            var t = new Tensor(dtype, new TensorShape(checked((int)n)), bytes.ToArray());
            return ToArray(t);
        }
        values = dtype switch
        {
            DataType.DtFloat => p.FloatVal.ToArray(),
            DataType.DtDouble => p.DoubleVal.ToArray(),
            DataType.DtInt32 => p.IntVal.ToArray(),
            DataType.DtInt16 => p.IntVal.Select(v => (short)v).ToArray(),
            DataType.DtInt8 => p.IntVal.Select(v => (sbyte)v).ToArray(),
            DataType.DtUint8 => p.IntVal.Select(v => (byte)v).ToArray(),
            DataType.DtInt64 => p.Int64Val.ToArray(),
            DataType.DtBool => p.BoolVal.ToArray(),
            DataType.DtHalf => p.HalfVal.Select(v => BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(),
            DataType.DtString => p.StringVal.Select(s => s.ToByteArray()).ToArray(),
            _ => throw new CheckpointFormatException(file, $"tensor '{name}' has dtype {DataTypes.Name(dtype)}, which this V1 reader does not read."),
        };
        if (values.Length != n) throw Count(values.Length);
        return values;

        CheckpointFormatException Count(long got) => new(file, $"tensor '{name}': a slice of {n} elements holds {got} values.");
    }

    private static Array ToArray(Tensor t) => t.DType switch
    {
        DataType.DtFloat => t.ToArray<float>(),
        DataType.DtDouble => t.ToArray<double>(),
        DataType.DtInt32 => t.ToArray<int>(),
        DataType.DtInt64 => t.ToArray<long>(),
        DataType.DtInt16 => t.ToArray<short>(),
        DataType.DtInt8 => t.ToArray<sbyte>(),
        DataType.DtUint8 => t.ToArray<byte>(),
        DataType.DtBool => t.ToArray<bool>(),
        DataType.DtHalf => t.ToArray<Half>(),
        DataType.DtString => t.Strings,
        _ => throw new NotSupportedException($"dtype {DataTypes.Name(t.DType)}"),
    };

    private static Tensor ToTensor(Array flat, DataType dtype, TensorShape shape) => flat switch
    {
        byte[][] s => new Tensor(shape, s),
        float[] a => Tensor.Create(a, shape.ToArray()),
        double[] a => Tensor.Create(a, shape.ToArray()),
        int[] a => Tensor.Create(a, shape.ToArray()),
        long[] a => Tensor.Create(a, shape.ToArray()),
        short[] a => Tensor.Create(a, shape.ToArray()),
        sbyte[] a => Tensor.Create(a, shape.ToArray()),
        byte[] a => Tensor.Create(a, shape.ToArray()),
        bool[] a => Tensor.Create(a, shape.ToArray()),
        Half[] a => Tensor.Create(a, shape.ToArray()),
        _ => throw new NotSupportedException($"dtype {DataTypes.Name(dtype)}"),
    };

    // Row-major copy of a box of shape `box` into `full` at `starts`.
    private static void CopyBox(Array part, long[] box, Array full, long[] fullShape, long[] starts)
        => ForEachBoxElement(box, fullShape, starts, (src, dst) => full.SetValue(part.GetValue(src), dst));

    private static void ExtractBox(Array full, long[] fullShape, Array part, long[] box, long[] starts)
        => ForEachBoxElement(box, fullShape, starts, (dst, src) => part.SetValue(full.GetValue(src), dst));

    private static void ForEachBoxElement(long[] box, long[] fullShape, long[] starts, Action<long, long> visit)
    {
        int rank = box.Length;
        long n = box.Aggregate(1L, (a, b) => a * b);
        var idx = new long[rank];
        for (long i = 0; i < n; i++)
        {
            long flat = 0;
            for (int d = 0; d < rank; d++) flat = flat * fullShape[d] + starts[d] + idx[d];
            visit(i, flat);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++idx[d] < box[d]) break;
                idx[d] = 0;
            }
        }
    }

    /// <summary>
    /// Writes one V1 checkpoint file as TF's <c>TensorSliceWriter</c> does (Save / SaveSlices ops): the metadata under
    /// the empty key (with <c>versions.producer</c> 1, TF's <c>TF_CHECKPOINT_VERSION</c>), then each slice under its
    /// encoded key with its values in the typed repeated field. Written to a temporary file and moved into place.
    /// </summary>
    /// <exception cref="ArgumentException">A duplicate (name, slice), a dtype the format cannot hold, or a value whose
    /// shape is not its slice's shape.</exception>
    public static void Write(string path, IReadOnlyList<(string Name, long[] FullShape, TensorSlice Slice, Tensor Value)> slices)
    {
        var meta = new SavedTensorSliceMeta { Versions = new VersionDef { Producer = 1 } };
        var byName = new Dictionary<string, SavedSliceMeta>(StringComparer.Ordinal);
        var data = new SortedDictionary<byte[], byte[]>(ByteOrder.Instance);
        foreach (var (name, fullShape, slice, value) in slices)
        {
            if (slice.Rank != fullShape.Length) throw new ArgumentException($"Tensor '{name}': slice {slice} does not match shape [{string.Join(", ", fullShape)}].");
            var sliceShape = slice.ShapeIn(fullShape);
            if (!value.Shape.ToArray().Select(d => (long)d).SequenceEqual(sliceShape))
                throw new ArgumentException($"Tensor '{name}': a value of shape {value.Shape} for slice {slice} of [{string.Join(", ", fullShape)}], which needs [{string.Join(", ", sliceShape)}].");
            if (!byName.TryGetValue(name, out var m))
            {
                m = new SavedSliceMeta { Name = name, Shape = ShapeProto(fullShape), Type = value.DType };
                byName[name] = m;
                meta.Tensor.Add(m);
            }
            else if (m.Type != value.DType) throw new ArgumentException($"Tensor '{name}' is saved with two dtypes.");
            m.Slice.Add(slice.ToProto());
            var key = SliceKeys.Encode(name, slice);
            if (data.ContainsKey(key)) throw new ArgumentException($"Tensor '{name}': slice {slice} is saved twice.");
            var saved = new SavedSlice { Name = name, Slice = slice.ToProto(), Data = Fill(value, name) };
            data[key] = new SavedTensorSlices { Data = saved }.ToByteArray();
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, "." + Path.GetFileName(path) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            using (var stream = File.Create(temp))
            {
                var table = new TableWriter(stream);
                table.Add([], new SavedTensorSlices { Meta = meta }.ToByteArray());
                foreach (var (k, v) in data) table.Add(k, v);
                table.Finish();
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static TensorShapeProto ShapeProto(long[] dims)
    {
        var p = new TensorShapeProto();
        foreach (var d in dims) p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return p;
    }

    private static TensorProto Fill(Tensor v, string name)
    {
        var p = new TensorProto();
        switch (v.DType)
        {
            case DataType.DtFloat: p.FloatVal.AddRange(v.ToArray<float>()); break;
            case DataType.DtDouble: p.DoubleVal.AddRange(v.ToArray<double>()); break;
            case DataType.DtInt32: p.IntVal.AddRange(v.ToArray<int>()); break;
            case DataType.DtInt16: p.IntVal.AddRange(v.ToArray<short>().Select(x => (int)x)); break;
            case DataType.DtInt8: p.IntVal.AddRange(v.ToArray<sbyte>().Select(x => (int)x)); break;
            case DataType.DtUint8: p.IntVal.AddRange(v.ToArray<byte>().Select(x => (int)x)); break;
            case DataType.DtInt64: p.Int64Val.AddRange(v.ToArray<long>()); break;
            case DataType.DtBool: p.BoolVal.AddRange(v.ToArray<bool>()); break;
            case DataType.DtHalf: p.HalfVal.AddRange(v.ToArray<Half>().Select(h => (int)BitConverter.HalfToUInt16Bits(h))); break;
            case DataType.DtString: p.StringVal.AddRange(v.Strings.Select(ByteString.CopyFrom)); break;
            default: throw new ArgumentException($"Tensor '{name}' is {DataTypes.Name(v.DType)}, which a V1 checkpoint cannot hold.");
        }
        return p;
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
