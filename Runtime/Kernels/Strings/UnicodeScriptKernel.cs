using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// <c>UnicodeScript</c> (tf.strings.unicode_script): each int32 code point → its ICU <c>UScriptCode</c>. TF's
/// unicode_script_op.cc returns <c>uscript_getScript(c)</c> and −1 (USCRIPT_INVALID_CODE) where ICU reports an error,
/// which ICU does for any value outside 0…0x10FFFF (negative values included: ICU compares them as unsigned).
/// Unassigned, private-use and surrogate code points are Unknown (103) as in ICU. The table is Unicode 13.0, the data
/// of the ICU 69.1 that current TF links (third_party/icu/workspace.bzl; see <see cref="UnicodeScriptTable"/> and
/// tools/UnicodeScripts).
/// </summary>
internal sealed class UnicodeScriptKernel : KernelSet
{
    /// <summary>ICU's USCRIPT_INVALID_CODE.</summary>
    private const int InvalidCode = -1;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("UnicodeScript", node => new DelegateKernel(node, ctx =>
    {
        var input = ctx.Input(0);
        if (input.DType != DataType.DtInt32) throw ctx.Error($"input must be int32 code points, got {DataTypes.Name(input.DType)}.");
        var codePoints = input.AsSpan<int>();
        var output = ctx.AllocateOutput(0, DataType.DtInt32, input.Shape).AsSpan<int>();
        for (int i = 0; i < codePoints.Length; i++) output[i] = ScriptOf(codePoints[i]);
    }));

    /// <summary>The UScriptCode of <paramref name="codePoint"/>, or −1 outside 0…0x10FFFF.</summary>
    internal static int ScriptOf(int codePoint)
    {
        if ((uint)codePoint > 0x10FFFF) return InvalidCode;
        var starts = UnicodeScriptTable.Starts;
        // The last range starting at or before the code point (Starts[0] is 0, so one always does).
        int i = starts.BinarySearch(codePoint);
        if (i < 0) i = ~i - 1;
        return UnicodeScriptTable.Codes[i];
    }
}
