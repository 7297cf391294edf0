using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Logging;

/// <summary>
/// The printing ops of tensorflow/core/kernels/logging_ops.cc, writing through the session's <see cref="PrintOutput"/>:
/// <list type="bullet">
/// <item><c>PrintV2</c> (<c>tf.print</c>): its scalar string input followed by the <c>end</c> attr (default "\n") to
/// <c>output_stream</c>: <c>stdout</c>, <c>stderr</c> (default), <c>log(info)</c>, <c>log(warning)</c>, <c>log(error)</c>, or
/// <c>file://path</c> (appended to the file, created if missing, under one process-wide lock as TF's file_mutex). Any other
/// stream fails when the kernel is built with TF's "Unknown output stream: …" message; a non-scalar input with TF's
/// "Input is expected to be scalar, but got […]".</item>
/// <item><c>Print</c> (<c>tf.Print</c>): forwards <c>input</c>; prints <c>message</c> then <c>[summary]</c> of each data
/// input (V1 <see cref="TensorSummary"/>, <c>summarize</c> default 3) and a newline to stderr, only the first
/// <c>first_n</c> times this node's kernel runs when first_n ≥ 0 (a per-kernel counter, so per session, as TF's).</item>
/// </list>
/// </summary>
internal sealed class PrintKernels : KernelSet
{
    private static readonly string[] s_streams = ["stdout", "stderr", "log(info)", "log(warning)", "log(error)"];
    private static readonly object s_fileLock = new();

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("PrintV2", PrintV2);
        registry.Add("Print", node => new PrintKernel(node));
    }

    /// <summary>The session's output (or the console when none was published).</summary>
    internal static PrintOutput OutputOf(OpKernelContext ctx) => ctx.State.FindResource(PrintOutput.ResourceKey) as PrintOutput ?? PrintOutput.Console;

    /// <summary>TF's <c>TensorShape::DebugString</c>: <c>[2,3]</c>.</summary>
    internal static string ShapeText(TensorShape shape) => "[" + string.Join(",", shape.Dims.ToArray()) + "]";

    private static OpKernel PrintV2(Node node)
    {
        string stream = node.GetString("output_stream", "stderr");
        byte[] end = node.Attr("end")?.S.ToByteArray() ?? "\n"u8.ToArray();
        string? file = stream.StartsWith("file://", StringComparison.Ordinal) ? stream["file://".Length..] : null;
        if (file == null && Array.IndexOf(s_streams, stream) < 0)
            throw KernelAttrs.Err(node, $"Unknown output stream: {stream}, Valid streams are: {string.Join(" ", s_streams)}");
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            if (input.Shape.Rank != 0) throw ctx.Error($"Input is expected to be scalar, but got {ShapeText(input.Shape)}");
            if (input.DType != DataType.DtString) throw ctx.Error($"input must be a string, got {DataTypes.Name(input.DType)}.");
            byte[] text = [.. input.Strings[0], .. end];
            if (file != null)
            {
                try
                {
                    lock (s_fileLock)
                    {
                        using var f = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                        f.Write(text);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    throw ctx.Error($"could not append to '{file}': {e.Message}");
                }
                return;
            }
            var output = OutputOf(ctx);
            switch (stream)
            {
                case "stdout": output.WriteStdout(text); break;
                case "stderr": output.WriteStderr(text); break;
                case "log(info)": output.WriteLog(PrintLogSeverity.Info, text); break;
                case "log(warning)": output.WriteLog(PrintLogSeverity.Warning, text); break;
                default: output.WriteLog(PrintLogSeverity.Error, text); break;
            }
        });
    }

    private sealed class PrintKernel : OpKernel
    {
        private readonly byte[] _message;
        private readonly long _firstN;
        private readonly long _summarize;
        private readonly object _gate = new();
        private long _calls;

        public PrintKernel(Node node) : base(node)
        {
            _message = node.Attr("message")?.S.ToByteArray() ?? [];
            _firstN = node.GetInt("first_n", -1);
            _summarize = node.GetInt("summarize", 3);
        }

        public override void Compute(OpKernelContext ctx)
        {
            ctx.SetOutput(0, ctx.Input(0));
            if (_firstN >= 0)
            {
                lock (_gate)
                {
                    if (_calls >= _firstN) return;
                    _calls++;
                }
            }
            var msg = new List<byte>(_message);
            for (int i = 1; i < ctx.InputCount; i++)
            {
                msg.Add((byte)'[');
                TensorSummary.Append(msg, ctx.Input(i), _summarize, printV2: false);
                msg.Add((byte)']');
            }
            msg.Add((byte)'\n'); // std::endl
            OutputOf(ctx).WriteStderr([.. msg]);
        }
    }
}
