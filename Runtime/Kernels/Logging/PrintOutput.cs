using System.Globalization;
using System.Text;

namespace TypedGraph.Kernels.Logging;

/// <summary>The severity of a <c>PrintV2</c> line sent to a log (<c>output_stream</c> <c>log(info)</c>, <c>log(warning)</c>, <c>log(error)</c>).</summary>
public enum PrintLogSeverity
{
    /// <summary><c>log(info)</c>.</summary>
    Info,
    /// <summary><c>log(warning)</c>.</summary>
    Warning,
    /// <summary><c>log(error)</c>.</summary>
    Error,
}

/// <summary>
/// Where the graph's <c>PrintV2</c> (<c>tf.print</c>) and <c>Print</c> (<c>tf.Print</c>) ops write: TF writes to the
/// process's <c>std::cout</c>/<c>std::cerr</c> and to <c>LOG(INFO|WARNING|ERROR)</c>; here each is replaceable
/// (<see cref="Execution.SessionOptions"/>' <c>PrintOutput</c>), so an application can route or capture them.
/// <c>file://</c> outputs are appended to the file as bytes and do not pass through this object.
/// </summary>
public sealed class PrintOutput
{
    /// <summary>The resource key a session publishes its <see cref="PrintOutput"/> under (kernels read it).</summary>
    internal const string ResourceKey = "typedgraph.print-output";

    /// <summary>The process's console: <see cref="Console.Out"/>, <see cref="Console.Error"/> (looked up at each print,
    /// so <see cref="Console.SetOut"/> later still applies) and log lines on the error stream.</summary>
    public static PrintOutput Console { get; } = new();

    /// <summary>TF's <c>stdout</c>; null: <see cref="System.Console.Out"/>.</summary>
    public TextWriter? Stdout { get; init; }

    /// <summary>TF's <c>stderr</c> (also where <c>tf.Print</c> writes); null: <see cref="System.Console.Error"/>.</summary>
    public TextWriter? Stderr { get; init; }

    /// <summary>Receives <c>log(...)</c> messages (the text already ends with the op's <c>end</c>). Null: a line in the
    /// shape of TF's default log sink, <c>"yyyy-MM-dd HH:mm:ss.ffffff: I tensorflow/core/kernels/logging_ops.cc] text\n"</c>
    /// (TF also prints the source line number, which has no meaning here), on <see cref="Stderr"/>.</summary>
    public Action<PrintLogSeverity, string>? Log { get; init; }

    internal void WriteStdout(byte[] text) => Write(Stdout ?? System.Console.Out, text);

    internal void WriteStderr(byte[] text) => Write(Stderr ?? System.Console.Error, text);

    internal void WriteLog(PrintLogSeverity severity, byte[] text)
    {
        var message = Encoding.UTF8.GetString(text);
        if (Log != null)
        {
            Log(severity, message);
            return;
        }
        var now = DateTime.Now;
        char level = severity switch { PrintLogSeverity.Info => 'I', PrintLogSeverity.Warning => 'W', _ => 'E' };
        var line = now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "." + (now.Ticks / 10 % 1_000_000).ToString("D6", CultureInfo.InvariantCulture)
            + ": " + level + " tensorflow/core/kernels/logging_ops.cc] " + message + "\n";
        var w = Stderr ?? System.Console.Error;
        lock (w)
        {
            w.Write(line);
            w.Flush();
        }
    }

    // TF writes the bytes; a TextWriter takes text, so bytes that are not UTF-8 arrive as U+FFFD.
    private static void Write(TextWriter w, byte[] text)
    {
        var s = Encoding.UTF8.GetString(text);
        lock (w)
        {
            w.Write(s);
            w.Flush();
        }
    }
}
