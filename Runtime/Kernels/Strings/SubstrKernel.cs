using System.Text;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// Substr, following tensorflow/core/kernels/substr_op.cc (SubstrOp) and string_util.h: <c>pos</c> and <c>len</c>
/// (int32 or int64, same non-empty shape) are scalars, match the input's shape, or broadcast with it (TF implements
/// the broadcast only for 1-D and 2-D results and says so for more dims; so do we). <c>unit</c> BYTE: a negative
/// pos counts from the end, pos must land in [0, size], and the length is capped at the end (a negative len, read
/// as unsigned by <c>string_view::substr</c>, takes the rest). UTF8_CHAR: pos/len count characters (a byte is a
/// trail byte when it is 0x80–0xBF, TF's IsTrailByte); a positive pos past the last character is out of range,
/// the end is capped, a negative len gives ""; a negative pos walks back from the end (UpdateNegativePosAndLenForUtf8).
/// </summary>
internal sealed class SubstrKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Substr", node => new Substr(node));

    private sealed class Substr : OpKernel
    {
        private readonly bool _utf8;

        public Substr(Node node) : base(node)
        {
            string unit = node.GetString("unit", "BYTE");
            _utf8 = unit switch
            {
                "BYTE" => false,
                "UTF8_CHAR" => true,
                _ => throw KernelAttrs.Err(node, $"Invalid unit '{unit}'; expected BYTE or UTF8_CHAR."),
            };
        }

        public override void Compute(OpKernelContext ctx)
        {
            var input = ctx.Input(0);
            var posT = ctx.Input(1);
            var lenT = ctx.Input(2);
            if (input.DType != DataType.DtString) throw ctx.Error($"input must be strings, got {DataTypes.Name(input.DType)}.");
            if (posT.Shape != lenT.Shape) throw ctx.Error($"pos and len should have the same shape, got: {posT.Shape} vs. {lenT.Shape}");
            if (posT.NumElements == 0) throw ctx.Error($"received empty tensor pos_tensor: {posT.Shape}");
            var pos = Read(ctx, posT, "pos");
            var len = Read(ctx, lenT, "len");
            var strings = input.Strings;
            if (posT.Shape.Rank == 0 || posT.Shape == input.Shape)
            {
                var o = new byte[strings.Length][];
                bool scalar = posT.Shape.Rank == 0;
                for (int i = 0; i < strings.Length; i++)
                    o[i] = Cut(ctx, strings[i], scalar ? pos[0] : pos[i], scalar ? len[0] : len[i], $"{i}");
                ctx.SetOutput(0, new Tensor(input.Shape, o));
                return;
            }
            if (!Broadcast.TryShape(input.Shape, posT.Shape, out var shape))
                throw ctx.Error($"Incompatible shapes: {input.Shape} vs. {posT.Shape}");
            if (shape.Rank > 2) throw ctx.Error($"Substr broadcast not implemented for {shape.Rank} dimensions");
            var inStrides = Broadcast.Strides(input.Shape, shape);
            var posStrides = Broadcast.Strides(posT.Shape, shape);
            int rows = shape.Rank == 2 ? shape[0] : 1, cols = shape.Rank == 0 ? 1 : shape[shape.Rank - 1];
            long inRow = shape.Rank == 2 ? inStrides[0] : 0, posRow = shape.Rank == 2 ? posStrides[0] : 0;
            long inCol = shape.Rank == 0 ? 0 : inStrides[^1], posCol = shape.Rank == 0 ? 0 : posStrides[^1];
            var result = new byte[shape.NumElements][];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                {
                    long p = r * posRow + c * posCol;
                    string where = shape.Rank == 2 ? $"({r}, {c})" : $"{c}";
                    result[r * cols + c] = Cut(ctx, strings[r * inRow + c * inCol], pos[p], len[p], where);
                }
            ctx.SetOutput(0, new Tensor(shape, result));
        }

        private static long[] Read(OpKernelContext ctx, Tensor t, string what) => t.DType switch
        {
            DataType.DtInt32 => Array.ConvertAll(t.ToArray<int>(), v => (long)v),
            DataType.DtInt64 => t.ToArray<long>(),
            _ => throw ctx.Error($"{what} must be int32 or int64, got {DataTypes.Name(t.DType)}."),
        };

        private byte[] Cut(OpKernelContext ctx, byte[] s, long pos, long len, string where)
        {
            long start, count;
            if (!_utf8)
            {
                start = pos < 0 ? s.Length + pos : pos;
                if (start < 0 || start > s.Length)
                    throw ctx.Error($"pos {pos} out of range for string b'{Encoding.UTF8.GetString(s)}' at index {where}");
                // string_view::substr(pos, n) takes n as size_t: a negative len is huge and means "to the end".
                count = len < 0 ? s.Length - start : Math.Min(len, s.Length - start);
            }
            else if (!Utf8Range(s, pos, len, out start, out count))
                throw ctx.Error($"pos {pos} out of range for string at index {where}");
            return s.AsSpan((int)start, (int)Math.Min(count, s.Length - start)).ToArray();
        }

        private static bool IsTrail(byte b) => (sbyte)b < -0x40;

        // ForwardNUTF8CharPositions: advance n characters from *pos; false when the end comes first.
        private static bool Forward(byte[] s, long n, ref long pos)
        {
            long counted = 0;
            while (counted < n && pos < s.Length)
            {
                do pos++; while (pos < s.Length && IsTrail(s[pos]));
                counted++;
            }
            return counted == n;
        }

        // BackNUTF8CharPositions: step back n characters from *pos; false when the start comes first.
        private static bool Back(byte[] s, long n, ref long pos)
        {
            long counted = 0;
            while (counted < n && pos > 0)
            {
                do pos--; while (IsTrail(s[pos]) && pos > 0);
                counted++;
            }
            return counted == n;
        }

        private static bool Utf8Range(byte[] s, long pos, long len, out long start, out long count)
        {
            if (pos >= 0)
            {
                start = 0;
                count = 0;
                if (!Forward(s, pos, ref start)) return false;
                long end = start;
                Forward(s, len, ref end); // capped at the end; a negative len moves nothing
                count = end - start;
                return true;
            }
            long endPos = s.Length;
            long skip = Math.Max(0, -pos - len);
            start = 0;
            count = 0;
            if (!Back(s, skip, ref endPos)) return false;
            start = endPos;
            if (!Back(s, -pos - skip, ref start)) return false;
            count = endPos - start;
            return true;
        }
    }
}
