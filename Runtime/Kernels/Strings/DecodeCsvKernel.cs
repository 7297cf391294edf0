using System.Globalization;
using System.Text;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// DecodeCSV, following tensorflow/core/kernels/decode_csv_op.cc (DecodeCSVOp::ExtractFields and Compute): one
/// output per <c>OUT_TYPE</c> entry, each shaped like <c>records</c>. A field that is empty or equals
/// <c>na_value</c> takes its <c>record_defaults</c> entry (an empty default makes the field required). With
/// <c>use_quote_delim</c> a field starting with <c>"</c> is quoted: <c>""</c> inside is a literal quote and the
/// closing quote must be followed by the delimiter or the end. CR/LF at the start of a field are skipped; inside
/// an unquoted field they (and quotes) are an error. <c>select_cols</c> keeps only those columns (strictly
/// increasing), and parsing stops after the last selected one. Numbers are parsed like absl's SimpleAtoi/SimpleAtof
/// (surrounding ASCII whitespace, optional sign; float overflow gives ±inf).
/// </summary>
internal sealed class DecodeCsvKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("DecodeCSV", node => new DecodeCsv(node));

    private sealed class DecodeCsv : OpKernel
    {
        private readonly DataType[] _types;
        private readonly long[] _selectCols;
        private readonly byte _delim;
        private readonly bool _useQuote;
        private readonly byte[] _naValue;

        public DecodeCsv(Node node) : base(node)
        {
            _types = node.GetTypes("OUT_TYPE");
            foreach (var (t, f) in _types.Select((t, f) => (t, f)))
                if (t is not (DataType.DtFloat or DataType.DtDouble or DataType.DtInt32 or DataType.DtInt64 or DataType.DtString))
                    throw KernelAttrs.Err(node, $"csv: data type {DataTypes.Name(t)} not supported in field {f}.");
            _selectCols = node.GetInts("select_cols", []);
            if (_selectCols.Length != 0 && _selectCols.Length != _types.Length)
                throw KernelAttrs.Err(node, "select_cols should match output size.");
            for (int i = 1; i < _selectCols.Length; i++)
                if (_selectCols[i - 1] >= _selectCols[i]) throw KernelAttrs.Err(node, "select_cols should be strictly increasing indices.");
            if (_selectCols.Length > 0 && _selectCols[0] < 0) throw KernelAttrs.Err(node, "select_cols should be non-negative indices.");
            var delim = node.Attr("field_delim")?.S.ToByteArray() ?? [(byte)','];
            if (delim.Length != 1) throw KernelAttrs.Err(node, "field_delim should be only 1 char.");
            _delim = delim[0];
            _useQuote = node.GetBool("use_quote_delim", true);
            _naValue = node.Attr("na_value")?.S.ToByteArray() ?? [];
        }

        public override void Compute(OpKernelContext ctx)
        {
            var records = ctx.Input(0);
            if (records.DType != DataType.DtString) throw ctx.Error($"records must be strings, got {DataTypes.Name(records.DType)}.");
            int nDefaults = ctx.InputCount - 1;
            if (nDefaults != _types.Length) throw ctx.Error($"got {nDefaults} record_defaults for {_types.Length} output types.");
            var defaults = new Tensor[nDefaults];
            for (int f = 0; f < nDefaults; f++)
            {
                var d = defaults[f] = ctx.Input(f + 1);
                if (d.Shape.Rank > 1) throw ctx.Error("Each record default should be at most rank 1.");
                if (d.NumElements >= 2) throw ctx.Error($"There should only be 1 default per field but field {f} has {d.NumElements}.");
                if (d.DType != _types[f]) throw ctx.Error($"record_defaults[{f}] is {DataTypes.Name(d.DType)} but OUT_TYPE[{f}] is {DataTypes.Name(_types[f])}.");
            }
            var input = records.Strings;
            var strings = new byte[_types.Length][][];
            var outputs = new Tensor[_types.Length];
            for (int f = 0; f < _types.Length; f++)
            {
                if (_types[f] == DataType.DtString) strings[f] = new byte[input.Length][];
                else outputs[f] = ctx.AllocateOutput(f, _types[f], records.Shape);
            }
            var fields = new List<byte[]>();
            for (int i = 0; i < input.Length; i++)
            {
                fields.Clear();
                ExtractFields(ctx, input[i], fields);
                if (fields.Count != _types.Length) throw ctx.Error($"Expect {_types.Length} fields but have {fields.Count} in record {i}.");
                for (int f = 0; f < _types.Length; f++)
                {
                    var field = fields[f];
                    if (field.Length == 0 || field.AsSpan().SequenceEqual(_naValue))
                    {
                        if (defaults[f].NumElements != 1) throw ctx.Error($"Field {f} is required but missing in record {i}!");
                        if (_types[f] == DataType.DtString) strings[f][i] = defaults[f].Strings[0];
                        else CopyDefault(defaults[f], outputs[f], i);
                        continue;
                    }
                    string text = _types[f] == DataType.DtString ? "" : Encoding.UTF8.GetString(field);
                    bool ok = true;
                    switch (_types[f])
                    {
                        case DataType.DtString: strings[f][i] = field; break;
                        case DataType.DtInt32: ok = TryInt(text, out long v32) && v32 is >= int.MinValue and <= int.MaxValue; if (ok) outputs[f].AsSpan<int>()[i] = (int)v32; break;
                        case DataType.DtInt64: ok = TryInt(text, out long v64); if (ok) outputs[f].AsSpan<long>()[i] = v64; break;
                        case DataType.DtFloat: ok = TryFloat(text, out float vf); if (ok) outputs[f].AsSpan<float>()[i] = vf; break;
                        default: ok = TryDouble(text, out double vd); if (ok) outputs[f].AsSpan<double>()[i] = vd; break;
                    }
                    if (!ok) throw ctx.Error($"Field {f} in record {i} is not a valid {TfTypeName(_types[f])}: {text}");
                }
            }
            for (int f = 0; f < _types.Length; f++)
                if (_types[f] == DataType.DtString) ctx.SetOutput(f, new Tensor(records.Shape, strings[f]));
        }

        // The type words of TF's messages ("not a valid float: ...").
        private static string TfTypeName(DataType t) => t switch
        {
            DataType.DtInt32 => "int32",
            DataType.DtInt64 => "int64",
            DataType.DtFloat => "float",
            _ => "double",
        };

        private static void CopyDefault(Tensor d, Tensor o, int i)
        {
            switch (d.DType)
            {
                case DataType.DtInt32: o.AsSpan<int>()[i] = d.AsSpan<int>()[0]; break;
                case DataType.DtInt64: o.AsSpan<long>()[i] = d.AsSpan<long>()[0]; break;
                case DataType.DtFloat: o.AsSpan<float>()[i] = d.AsSpan<float>()[0]; break;
                default: o.AsSpan<double>()[i] = d.AsSpan<double>()[0]; break;
            }
        }

        // ExtractFields: the field splitter, including TF's quirks (leading CR/LF skipped, a trailing delimiter
        // adds one empty field, parsing ends once the last selected column is read).
        private void ExtractFields(OpKernelContext ctx, byte[] input, List<byte[]> result)
        {
            if (input.Length == 0) return;
            int idx = 0, parsed = 0, selector = 0;
            bool all = _selectCols.Length == 0;
            var field = new List<byte>();
            while (idx < input.Length)
            {
                if (input[idx] is (byte)'\n' or (byte)'\r') { idx++; continue; }
                bool include = all || _selectCols[selector] == parsed;
                bool quoted = _useQuote && input[idx] == '"';
                if (quoted) idx++;
                field.Clear();
                if (!quoted)
                {
                    while (idx < input.Length && input[idx] != _delim)
                    {
                        byte c = input[idx];
                        if ((_useQuote && c == '"') || c == '\n' || c == '\r')
                            throw ctx.Error("Unquoted fields cannot have quotes/CRLFs inside.");
                        if (include) field.Add(c);
                        idx++;
                    }
                    idx++;
                }
                else
                {
                    while (idx < input.Length - 1 && (input[idx] != '"' || input[idx + 1] != _delim))
                    {
                        if (input[idx] != '"')
                        {
                            if (include) field.Add(input[idx]);
                            idx++;
                        }
                        else
                        {
                            if (input[idx + 1] != '"') throw ctx.Error("Quote inside a string has to be escaped by another quote.");
                            if (include) field.Add((byte)'"');
                            idx += 2;
                        }
                    }
                    if (!(idx < input.Length && input[idx] == '"' && (idx == input.Length - 1 || input[idx + 1] == _delim)))
                        throw ctx.Error("Quoted field has to end with quote followed by delim or end.");
                    idx += 2;
                }
                parsed++;
                if (include)
                {
                    result.Add(field.ToArray());
                    selector++;
                    if (selector == _selectCols.Length) return;
                }
            }
            bool lastIncluded = all || _selectCols[selector] == parsed;
            if (lastIncluded && input[^1] == _delim) result.Add([]);
        }

        // absl::SimpleAtoi: ASCII whitespace around, optional sign, decimal digits only, no overflow.
        private static bool TryInt(string text, out long value)
            => long.TryParse(text.Trim(AsciiSpace), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

        private static readonly char[] AsciiSpace = [' ', '\t', '\n', '\v', '\f', '\r'];

        // absl::SimpleAtof/SimpleAtod: whitespace trimmed, one leading '+' allowed, decimal or exponent form or
        // inf/infinity/nan in any case; an out-of-range magnitude becomes ±inf (denormals round, as from_chars).
        private static bool TryDouble(string text, out double value)
        {
            string t = text.Trim(AsciiSpace);
            if (t.StartsWith('+')) t = t[1..];
            if (t.Length == 0 || t.StartsWith('+')) { value = 0; return false; }
            string body = t.StartsWith('-') ? t[1..] : t;
            if (body.Equals("inf", StringComparison.OrdinalIgnoreCase) || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
            {
                value = t[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
                return true;
            }
            if (body.Equals("nan", StringComparison.OrdinalIgnoreCase)) { value = double.NaN; return true; }
            // Only digits, one point, an exponent and signs: .NET would otherwise also take thousands separators etc.
            foreach (char c in body) if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-')) { value = 0; return false; }
            return double.TryParse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value);
        }

        private static bool TryFloat(string text, out float value)
        {
            bool ok = TryDouble(text, out double d);
            // Parse again as float so the decimal text rounds once, straight to float (as absl's float from_chars).
            value = ok && double.IsFinite(d) && float.TryParse(text.Trim(AsciiSpace).TrimStart('+'), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out float f) ? f : (float)d;
            return ok;
        }
    }
}
