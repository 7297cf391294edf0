using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;
using TypedGraph.Summaries;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// The summary ops that carry more than a number: ImageSummary (PNG per batch element), AudioSummary / AudioSummaryV2
/// (16-bit WAV per batch element) and TensorSummaryV2 / TensorSummary (the tensor itself, V2 with a tag and the plugin's
/// serialized <see cref="SummaryMetadata"/>, which is how <c>tf.summary.text</c> and TF2's plugin summaries reach the
/// event file). Each returns a serialized <see cref="Summary"/> in a scalar string, like ScalarSummary.
/// Semantics follow tensorflow/core/kernels/summary_image_op.cc, summary_audio_op.cc and summary_tensor_op.cc.
/// </summary>
internal sealed class MediaSummaryKernels : KernelSet
{
    /// <summary>ImageSummary's default <c>bad_color</c> attr (summary_ops.cc / logging_ops.cc): opaque red.</summary>
    private static readonly byte[] s_defaultBadColor = [255, 0, 0, 255];

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ImageSummary", node => new ImageSummaryKernel(node));
        registry.Add(["AudioSummaryV2", "AudioSummary"], node => new AudioSummaryKernel(node));
        registry.Add("TensorSummaryV2", node => new DelegateKernel(node, ctx =>
        {
            var tag = ctx.Input(0);
            if (tag.DType != DataType.DtString || tag.Shape.Rank != 0) throw ctx.Error($"tag must be a string scalar, got {DataTypes.Name(tag.DType)} {tag.Shape}.");
            var metadata = ctx.Input(2);
            if (metadata.DType != DataType.DtString || metadata.Shape.Rank != 0)
                throw ctx.Error($"serialized_summary_metadata must be a string scalar, got {DataTypes.Name(metadata.DType)} {metadata.Shape}.");
            var value = new Summary.Types.Value { Tag = Encoding.UTF8.GetString(tag.Strings[0]), Tensor = SummaryTensorProto(ctx, ctx.Input(1)) };
            try
            {
                // TF parses the metadata leniently (ParseFromTString's result is ignored); a malformed proto is reported here
                // rather than silently written half-parsed.
                value.Metadata = SummaryMetadata.Parser.ParseFrom(metadata.Strings[0]);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw ctx.Error($"serialized_summary_metadata is not a SummaryMetadata proto: {e.Message}");
            }
            ctx.SetOutput(0, Serialized(value));
        }));
        registry.Add("TensorSummary", node => new DelegateKernel(node, ctx =>
        {
            // The deprecated V1 op: no tag, the value is named by the node (Value.node_name).
            var value = new Summary.Types.Value { NodeName = node.Name, Tensor = SummaryTensorProto(ctx, ctx.Input(0)) };
            ctx.SetOutput(0, Serialized(value));
        }));
    }

    /// <summary>The tensor as summary_tensor_op.cc stores it: strings in <c>string_val</c> (AsProtoField), every other
    /// dtype as raw <c>tensor_content</c> (AsProtoTensorContent), even a scalar.</summary>
    private static TensorProto SummaryTensorProto(OpKernelContext ctx, Tensor t)
    {
        if (t.DType == DataType.DtString) return TensorProtos.FromTensor(t);
        if (t.DType is DataType.DtResource or DataType.DtVariant) throw ctx.Error($"a {DataTypes.Name(t.DType)} tensor cannot be summarized.");
        return new TensorProto { Dtype = t.DType, TensorShape = TensorProtos.ShapeProto(t.Shape), TensorContent = ByteString.CopyFrom(t.Bytes) };
    }

    private static Tensor Serialized(params Summary.Types.Value[] values)
    {
        var s = new Summary();
        s.Value.Add(values);
        return new Tensor(TensorShape.Scalar, [s.ToByteArray()]);
    }

    private static Tensor Serialized(Summary s) => new(TensorShape.Scalar, [s.ToByteArray()]);

    /// <summary>TF's IsLegacyScalar: a scalar or a one-element vector.</summary>
    private static bool IsLegacyScalar(TensorShape shape) => shape.Rank == 0 || (shape.Rank == 1 && shape[0] == 1);

    /// <summary>The tag of output <paramref name="i"/>: "tag/kind/i" when up to <paramref name="max"/> > 1 values are
    /// requested, else "tag/kind" — decided by the requested count, not the batch size (summary_image_op.cc AddImages).</summary>
    private static string OutputTag(string baseTag, string kind, int max, int i) => max > 1 ? $"{baseTag}/{kind}/{i}" : $"{baseTag}/{kind}";

    private static string ReadTag(OpKernelContext ctx, Tensor tag)
    {
        if (tag.DType != DataType.DtString || !IsLegacyScalar(tag.Shape)) throw ctx.Error($"Tags must be a scalar string, got {DataTypes.Name(tag.DType)} {tag.Shape}.");
        return Encoding.UTF8.GetString(tag.Strings[0]);
    }

    private sealed class ImageSummaryKernel : OpKernel
    {
        private readonly int _maxImages;
        private readonly byte[] _badColor;

        public ImageSummaryKernel(Node node) : base(node)
        {
            long max = node.GetInt("max_images", 3);
            if (max < 1 || max >= 1L << 31) throw new GraphFormatException($"ImageSummary node '{node.Name}': max_images must be in [1, 2^31), got {max}.");
            _maxImages = (int)max;
            if (node.HasAttr("bad_color"))
            {
                var bad = TensorProtos.ToTensor(node.GetTensor("bad_color"), $"ImageSummary node '{node.Name}' attr bad_color");
                if (bad.DType != DataType.DtUint8) throw new GraphFormatException($"ImageSummary node '{node.Name}': bad_color must be uint8, got {DataTypes.Name(bad.DType)}.");
                if (bad.Shape.Rank != 1) throw new GraphFormatException($"ImageSummary node '{node.Name}': bad_color must be a vector, got shape {bad.Shape}.");
                _badColor = bad.Bytes.ToArray();
            }
            else _badColor = s_defaultBadColor;
        }

        public override void Compute(OpKernelContext ctx)
        {
            string baseTag = ReadTag(ctx, ctx.Input(0));
            var tensor = ctx.Input(1);
            var shape = tensor.Shape;
            if (shape.Rank != 4 || shape[3] is not (1 or 3 or 4)) throw Error($"Tensor must be 4-D with last dim 1, 3, or 4, not {shape}.");
            if ((long)shape[1] * shape[2] >= 1L << 29)
                throw Error($"Tensor too large for summary {shape}.");
            int batch = (int)shape[0], h = (int)shape[1], w = (int)shape[2], depth = (int)shape[3];
            int hw = h * w;
            if (tensor.DType is not (DataType.DtUint8 or DataType.DtFloat or DataType.DtHalf or DataType.DtDouble))
                throw Error($"T must be uint8, float, half or double, got {DataTypes.Name(tensor.DType)}.");
            if (tensor.DType != DataType.DtUint8 && _badColor.Length < depth)
                throw Error($"expected depth <= bad_color.size, got depth = {depth}, bad_color.size = {_badColor.Length}");

            var summary = new Summary();
            int n = Math.Min(_maxImages, batch);
            // PNG has no empty image; TF's png::WriteImageToBuffer fails such an op too ("PNG encoding failed").
            if (n > 0 && hw == 0) throw Error($"cannot encode an empty {h}×{w} image as PNG.");
            var pixels = new byte[hw * depth];
            for (int i = 0; i < n; i++)
            {
                int start = i * hw * depth;
                switch (tensor.DType)
                {
                    case DataType.DtUint8: tensor.Bytes.Slice(start, pixels.Length).CopyTo(pixels); break;
                    case DataType.DtFloat: NormalizeFloat(tensor.AsSpan<float>().Slice(start, pixels.Length), depth, pixels); break;
                    case DataType.DtDouble: NormalizeDouble(tensor.AsSpan<double>().Slice(start, pixels.Length), depth, pixels); break;
                    default: NormalizeHalf(tensor.AsSpan<Half>().Slice(start, pixels.Length), depth, pixels); break;
                }
                var image = new Summary.Types.Image { Height = h, Width = w, Colorspace = depth };
                image.EncodedImageString = ByteString.CopyFrom(PngEncoder.Encode(pixels, h, w, depth));
                summary.Value.Add(new Summary.Types.Value { Tag = OutputTag(baseTag, "image", _maxImages, i), Image = image });
            }
            ctx.SetOutput(0, Serialized(summary));
        }

        // NormalizeFloatImage: min/max (as float) over pixels whose channels are all finite; if any is negative, scale by
        // 127/max|v| and offset 128, else scale by 255/max (0 when the range is below 1e-6); non-finite pixels → bad_color;
        // the scaled value is truncated to uint8 like Eigen's cast<uint8>.
        private static (float Scale, float Offset) Transform<T>(ReadOnlySpan<T> values, int depth, Func<T, float> toFloat)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (int p = 0; p < values.Length; p += depth)
            {
                if (!AllFinite(values.Slice(p, depth), toFloat)) continue;
                for (int c = 0; c < depth; c++)
                {
                    float v = toFloat(values[p + c]);
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                }
            }
            const float zeroThreshold = 1e-6f;
            if (min < 0)
            {
                float maxAbs = Math.Max(Math.Abs(min), Math.Abs(max));
                return (maxAbs < zeroThreshold ? 0f : 127f / maxAbs, 128f);
            }
            return (max < zeroThreshold ? 0f : 255f / max, 0f);
        }

        private static bool AllFinite<T>(ReadOnlySpan<T> pixel, Func<T, float> toFloat)
        {
            foreach (var v in pixel)
                if (!float.IsFinite(toFloat(v))) return false;
            return true;
        }

        private void NormalizeFloat(ReadOnlySpan<float> values, int depth, byte[] pixels)
        {
            var (scale, offset) = Transform(values, depth, v => v);
            for (int p = 0; p < values.Length; p += depth)
            {
                bool finite = AllFinite(values.Slice(p, depth), v => v);
                for (int c = 0; c < depth; c++)
                    pixels[p + c] = finite ? TruncateToByte(values[p + c] * scale + offset) : _badColor[c];
            }
        }

        private void NormalizeDouble(ReadOnlySpan<double> values, int depth, byte[] pixels)
        {
            // The range is found in float (TF keeps image_min/max as float) but the transform runs in double (T).
            var (scale, offset) = Transform(values, depth, v => (float)v);
            double s = scale, o = offset;
            for (int p = 0; p < values.Length; p += depth)
            {
                bool finite = AllFinite(values.Slice(p, depth), v => (float)v);
                for (int c = 0; c < depth; c++)
                    pixels[p + c] = finite ? TruncateToByte(values[p + c] * s + o) : _badColor[c];
            }
        }

        private void NormalizeHalf(ReadOnlySpan<Half> values, int depth, byte[] pixels)
        {
            // Eigen::half arithmetic rounds to half after each operation; scale and offset are converted to half first.
            var (scale, offset) = Transform(values, depth, v => (float)v);
            Half s = (Half)scale, o = (Half)offset;
            for (int p = 0; p < values.Length; p += depth)
            {
                bool finite = AllFinite(values.Slice(p, depth), v => (float)v);
                for (int c = 0; c < depth; c++)
                    pixels[p + c] = finite ? TruncateToByte((float)((Half)((float)values[p + c] * (float)s) + o)) : _badColor[c];
            }
        }

        private static byte TruncateToByte(double v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(int)v;
    }

    private sealed class AudioSummaryKernel : OpKernel
    {
        private readonly int _maxOutputs;
        private readonly float? _sampleRateAttr;

        public AudioSummaryKernel(Node node) : base(node)
        {
            long max = node.GetInt("max_outputs", 3);
            if (max < 1 || max > int.MaxValue) throw new GraphFormatException($"{node.Op} node '{node.Name}': max_outputs must be > 0, got {max}.");
            _maxOutputs = (int)max;
            // AudioSummary (deprecated) has sample_rate as an attr; AudioSummaryV2 takes it as input 2.
            if (node.Op == "AudioSummary") _sampleRateAttr = node.GetFloat("sample_rate");
        }

        public override void Compute(OpKernelContext ctx)
        {
            string baseTag = ReadTag(ctx, ctx.Input(0));
            var tensor = ctx.Input(1);
            if (tensor.Shape.Rank is < 2 or > 3) throw Error($"Tensor must be 3-D or 2-D, got: {tensor.Shape}");
            if (tensor.DType != DataType.DtFloat) throw Error($"tensor must be float, got {DataTypes.Name(tensor.DType)}.");
            float sampleRate;
            if (_sampleRateAttr is { } attr) sampleRate = attr;
            else
            {
                var rate = ctx.Input(2);
                if (rate.DType != DataType.DtFloat || rate.NumElements != 1) throw Error($"sample_rate must be a float scalar, got {DataTypes.Name(rate.DType)} {rate.Shape}.");
                sampleRate = rate.AsSpan<float>()[0];
            }
            if (!(sampleRate > 0f)) throw Error($"sample_rate must be > 0, got {sampleRate}.");
            int batch = checked((int)tensor.Shape[0]);
            long frames = tensor.Shape[1];
            int channels = tensor.Shape.Rank == 2 ? 1 : checked((int)tensor.Shape[2]);
            // lrintf rounds half to even under the default rounding mode; a rate below 0.5 becomes 1, not 0.
            long rateForHeader = (long)MathF.Round(sampleRate, MidpointRounding.ToEven);
            if (rateForHeader == 0) rateForHeader = 1;
            var summary = new Summary();
            int n = Math.Min(_maxOutputs, batch);
            long perItem = frames * channels;
            var samples = tensor.AsSpan<float>();
            for (int i = 0; i < n; i++)
            {
                byte[] wav;
                try
                {
                    wav = WavEncoder.Encode(samples.Slice(checked((int)(i * perItem)), checked((int)perItem)), rateForHeader, channels, frames);
                }
                catch (ArgumentException e)
                {
                    throw Error(e.Message);
                }
                var audio = new Summary.Types.Audio
                {
                    SampleRate = sampleRate,
                    NumChannels = channels,
                    LengthFrames = frames,
                    ContentType = "audio/wav",
                    EncodedAudioString = ByteString.CopyFrom(wav),
                };
                summary.Value.Add(new Summary.Types.Value { Tag = OutputTag(baseTag, "audio", _maxOutputs, i), Audio = audio });
            }
            ctx.SetOutput(0, Serialized(summary));
        }
    }
}
