using System.Globalization;
using System.Text;

namespace TypedGraph.Formats;

/// <summary>
/// The <c>checkpoint</c> state file TF's Saver keeps beside its checkpoints: protobuf text format of
/// <c>CheckpointState</c> (<c>checkpoint_state.proto</c>). Paths are kept as written (usually relative
/// to the directory); use <see cref="Resolve"/> to get a usable path, as TF's <c>get_checkpoint_state</c> does.
/// </summary>
public sealed class CheckpointState
{
    /// <summary>The state file's name inside a checkpoint directory.</summary>
    public const string FileName = "checkpoint";

    /// <summary>The newest checkpoint prefix.</summary>
    public string ModelCheckpointPath { get; set; } = "";

    /// <summary>Kept checkpoints, oldest first; the last equals <see cref="ModelCheckpointPath"/>.</summary>
    public List<string> AllModelCheckpointPaths { get; } = [];

    /// <summary>Unix-second save times, one per kept path (written by TF2's CheckpointManager; TF1's Saver leaves it empty).</summary>
    public List<double> AllModelCheckpointTimestamps { get; } = [];

    /// <summary>Time of the last checkpoint kept by <c>keep_checkpoint_every_n_hours</c>, if recorded.</summary>
    public double? LastPreservedTimestamp { get; set; }

    /// <summary>Reads <c>&lt;directory&gt;/checkpoint</c>; null when the file does not exist.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a valid CheckpointState or names no checkpoint.</exception>
    public static CheckpointState? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text format.</summary>
    /// <param name="text">File contents.</param>
    /// <param name="sourceName">Used in error messages.</param>
    /// <exception cref="CheckpointFormatException">Malformed text, an unknown field, or no model_checkpoint_path.</exception>
    public static CheckpointState Parse(string text, string sourceName)
    {
        var state = new CheckpointState();
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            int colon = line.IndexOf(':');
            if (colon <= 0) throw Bad(sourceName, lineNo, $"expected 'field: value', got '{line}'");
            var field = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (field)
            {
                case "model_checkpoint_path": state.ModelCheckpointPath = TextFormat.ParseString(value, sourceName, lineNo); break;
                case "all_model_checkpoint_paths": state.AllModelCheckpointPaths.Add(TextFormat.ParseString(value, sourceName, lineNo)); break;
                case "all_model_checkpoint_timestamps": state.AllModelCheckpointTimestamps.Add(TextFormat.ParseDouble(value, sourceName, lineNo)); break;
                case "last_preserved_timestamp": state.LastPreservedTimestamp = TextFormat.ParseDouble(value, sourceName, lineNo); break;
                default: throw Bad(sourceName, lineNo, $"unknown field '{field}'");
            }
        }
        if (state.ModelCheckpointPath.Length == 0)
            throw new CheckpointFormatException(sourceName, "invalid checkpoint state: no model_checkpoint_path");
        return state;
    }

    /// <summary>The text TF's Python <c>text_format.MessageToString</c> writes: fields in number order, one per line.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.Append("model_checkpoint_path: ").Append(TextFormat.QuoteString(ModelCheckpointPath)).Append('\n');
        foreach (var p in AllModelCheckpointPaths) sb.Append("all_model_checkpoint_paths: ").Append(TextFormat.QuoteString(p)).Append('\n');
        foreach (var t in AllModelCheckpointTimestamps) sb.Append("all_model_checkpoint_timestamps: ").Append(TextFormat.FormatDouble(t)).Append('\n');
        if (LastPreservedTimestamp is double l) sb.Append("last_preserved_timestamp: ").Append(TextFormat.FormatDouble(l)).Append('\n');
        return sb.ToString();
    }

    /// <summary>Writes <c>&lt;directory&gt;/checkpoint</c> atomically (temp file <c>checkpoint.tmp&lt;32 hex&gt;</c> then rename, as TF's <c>atomic_write_string_to_file</c>).</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temp = path + ".tmp" + Guid.NewGuid().ToString("N");
        try
        {
            File.WriteAllText(temp, ToText(), new UTF8Encoding(false));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            CheckpointWriter.TryDelete(temp);
        }
    }

    /// <summary>A stored path made usable: relative paths are joined onto <paramref name="directory"/>.</summary>
    public static string Resolve(string directory, string path) => Path.IsPathRooted(path) ? path : Path.Combine(directory, path);

    private static CheckpointFormatException Bad(string source, int line, string message) => new(source, $"line {line}: {message}");
}

/// <summary>Protobuf text-format scalars as Python's <c>text_format</c> writes them.</summary>
internal static class TextFormat
{
    /// <summary>A double-quoted string with C escapes (non-ASCII UTF-8 bytes as octal, as <c>as_utf8=False</c>).</summary>
    public static string QuoteString(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (byte b in Encoding.UTF8.GetBytes(s))
        {
            switch (b)
            {
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\'': sb.Append("\\'"); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                default:
                    if (b < 0x20 || b >= 0x7F) sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                    else sb.Append((char)b);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Parses a quoted string (single or double quotes, C escapes incl. octal and \x hex).</summary>
    public static string ParseString(string value, string source, int line)
    {
        if (value.Length < 2 || (value[0] != '"' && value[0] != '\'') || value[^1] != value[0])
            throw new CheckpointFormatException(source, $"line {line}: expected a quoted string, got {value}");
        var bytes = new List<byte>();
        for (int i = 1; i < value.Length - 1; i++)
        {
            char c = value[i];
            if (c != '\\')
            {
                // A raw non-BMP character is a surrogate pair: encode the pair, not each half (which gives U+FFFD).
                int len = char.IsHighSurrogate(c) && i + 1 < value.Length - 1 && char.IsLowSurrogate(value[i + 1]) ? 2 : 1;
                bytes.AddRange(Encoding.UTF8.GetBytes(value, i, len));
                i += len - 1;
                continue;
            }
            if (++i >= value.Length - 1) throw new CheckpointFormatException(source, $"line {line}: dangling backslash");
            c = value[i];
            switch (c)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case 'x':
                    int hex = 0, nh = 0;
                    while (nh < 2 && i + 1 < value.Length - 1 && Uri.IsHexDigit(value[i + 1])) { hex = hex * 16 + Convert.ToInt32(value[++i].ToString(), 16); nh++; }
                    if (nh == 0) throw new CheckpointFormatException(source, $"line {line}: bad \\x escape");
                    bytes.Add((byte)hex);
                    break;
                case >= '0' and <= '7':
                    int oct = c - '0', no = 1;
                    while (no < 3 && i + 1 < value.Length - 1 && value[i + 1] is >= '0' and <= '7') { oct = oct * 8 + (value[++i] - '0'); no++; }
                    bytes.Add((byte)oct);
                    break;
                default: bytes.Add((byte)c); break; // \" \' \\ and \?
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public static double ParseDouble(string value, string source, int line)
    {
        var v = value.TrimEnd('f', 'F');
        if (v is "inf" or "infinity") return double.PositiveInfinity;
        if (v is "-inf" or "-infinity") return double.NegativeInfinity;
        if (v == "nan") return double.NaN;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            throw new CheckpointFormatException(source, $"line {line}: '{value}' is not a number");
        return d;
    }

    /// <summary>Shortest round-trip form, with a ".0" on integral values as Python's repr.</summary>
    public static string FormatDouble(double d)
    {
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (double.IsNaN(d)) return "nan";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s : s + ".0";
    }
}
