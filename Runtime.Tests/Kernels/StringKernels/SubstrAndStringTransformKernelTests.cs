using System.Text;
using TypedGraph.Protos;

using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.StringKernels;

/// <summary>
/// Substr against a reference that works on decoded characters (System.Text.Rune) rather than TF's byte walk, plus
/// the TF doc examples; StringStrip/Lower/Upper/Length and ReduceJoin against plain loops and TF's doc examples.
/// </summary>
public class SubstrAndStringTransformKernelTests
{
    private static Tensor S(params string[] s) => Tensor.FromStrings(s, s.Length);
    private static string[] Text(Tensor t) => t.Strings.Select(b => Encoding.UTF8.GetString(b)).ToArray();

    /// <summary>Reference Substr on a string's characters (BYTE: on its bytes); null when TF reports pos out of range.</summary>
    private static string? Reference(string s, long pos, long len, bool utf8)
    {
        var units = utf8
            ? s.EnumerateRunes().Select(r => r.ToString()).ToArray()
            : Encoding.UTF8.GetBytes(s).Select(b => ((char)b).ToString()).ToArray();
        int n = units.Length;
        long start, end;
        if (pos >= 0)
        {
            if (pos > n) return null;
            start = pos;
            end = len < 0 ? (utf8 ? start : n) : Math.Min(n, start + len);
        }
        else
        {
            start = n + pos;
            if (start < 0) return null;
            if (utf8 && len < 0) return null; // UpdateNegativePosAndLenForUtf8 cannot walk back a negative count
            end = utf8 ? n - Math.Max(0, -pos - len) : (len < 0 ? n : Math.Min(n, start + len));
        }
        var piece = string.Concat(units[(int)start..(int)end]);
        return utf8 ? piece : Encoding.UTF8.GetString(piece.Select(c => (byte)c).ToArray());
    }

    private static (string Name, AttrValue Value) Unit(bool utf8) => ("unit", ToAttr(utf8 ? "UTF8_CHAR" : "BYTE"));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Substr_EveryPosAndLen_MatchesTheCharacterReference(bool utf8)
    {
        string[] words = ["", "a", "Hello", "héllo wörld", "日本語テキスト", "a😀b"];
        foreach (var w in words)
        {
            int n = utf8 ? w.EnumerateRunes().Count() : Encoding.UTF8.GetByteCount(w);
            for (long pos = -n - 2; pos <= n + 2; pos++)
                for (long len = -2; len <= n + 2; len++)
                {
                    string? expected = Reference(w, pos, len, utf8);
                    foreach (var dtype in new[] { DataType.DtInt32, DataType.DtInt64 })
                    {
                        Tensor P(long v) => dtype == DataType.DtInt32 ? Tensor.FromScalar((int)v) : Tensor.FromScalar(v);
                        if (expected == null)
                        {
                            var ex = Assert.Throws<GraphExecutionException>(() => Compute1("Substr", [S(w), P(pos), P(len)], Unit(utf8)));
                            Assert.Contains($"pos {pos} out of range for string", ex.Message);
                        }
                        else
                        {
                            var o = Compute1("Substr", [S(w), P(pos), P(len)], Unit(utf8));
                            Assert.True(expected == Text(o)[0], $"'{w}' pos {pos} len {len}: expected '{expected}', got '{Text(o)[0]}'");
                        }
                    }
                }
        }
    }

    [Fact]
    public void Substr_ScalarElementwiseAndBroadcast_MatchHandWorkedValues()
    {
        // tf.strings.substr doc: input [b'Hello', b'World'], position 1, length 3 → [b'ell', b'orl'].
        Assert.Equal(["ell", "orl"], Text(Compute1("Substr", [S("Hello", "World"), I([1], []), I([3], [])])));
        // Elementwise pos/len of the input's shape; "Google"[3..] has only 3 bytes left, so the length is capped.
        Assert.Equal(["el", "rld", "gle"], Text(Compute1("Substr", [S("Hello", "World", "Google"), I([1, 2, 3]), I([2, 3, 4])])));
        // Broadcasting a [3] pos/len over a [3, 3] input (the doc's broadcasting example's words; values worked by hand:
        // column j takes bytes [pos_j, pos_j + len_j)).
        var grid = Tensor.FromStrings(["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"], 3, 3);
        var b = Compute1("Substr", [grid, I([1, 2, 3]), I([2, 3, 4])]);
        Assert.Equal(new TensorShape(3, 3), b.Shape);
        Assert.Equal(["en", "eve", "lve", "hi", "urt", "teen", "ix", "ven", "htee"], Text(b));
        // A scalar input against a [2, 1] pos/len: the result takes the broadcast shape [2, 1].
        var col = Compute1("Substr", [Tensor.FromString("abcdef"), I([0, 3], 2, 1), I([2, 1], 2, 1)]);
        Assert.Equal(new TensorShape(2, 1), col.Shape);
        Assert.Equal(["ab", "d"], Text(col));
        // The broadcast path also bounds-checks and names the (row, col) index.
        Assert.Contains("pos 9 out of range for string b'ab' at index (0, 0)",
            Assert.Throws<GraphExecutionException>(() => Compute1("Substr", [Tensor.FromStrings(["ab", "cd"], 1, 2), I([9, 0], 2, 1), I([1, 1], 2, 1)])).Message);
    }

    [Fact]
    public void Substr_RejectsMismatchedOrEmptyPosAndThreeDimBroadcast()
    {
        Assert.Contains("pos and len should have the same shape", Assert.Throws<GraphExecutionException>(
            () => Compute1("Substr", [S("a"), I([0, 0]), I([1])])).Message);
        Assert.Contains("received empty tensor", Assert.Throws<GraphExecutionException>(
            () => Compute1("Substr", [S("a"), I([]), I([])])).Message);
        Assert.Contains("Incompatible shapes", Assert.Throws<GraphExecutionException>(
            () => Compute1("Substr", [S("a", "b", "c"), I([0, 0]), I([1, 1])])).Message);
        Assert.Contains("not implemented for 3 dimensions", Assert.Throws<GraphExecutionException>(
            () => Compute1("Substr", [Tensor.FromStrings(["a", "b"], 2, 1, 1), I([0, 0], 1, 2), I([1, 1], 1, 2)])).Message);
        // An empty input with scalar pos/len gives an empty output.
        Assert.Equal(new TensorShape(0, 3), Compute1("Substr", [Tensor.FromStrings([], 0, 3), I([0], []), I([1], [])]).Shape);
    }

    [Fact]
    public void StripLowerUpperLength_MatchPlainLoops()
    {
        string[] words = ["  Hello\tWorld \n", "", "\v\fÉcole ÄB\r", "ß straße", "MiXeD 123"];
        var input = Tensor.FromStrings(words, 5);
        Assert.Equal(words.Select(w => w.Trim(' ', '\t', '\n', '\v', '\f', '\r')), Text(Compute1("StringStrip", [input])));
        // encoding "": only ASCII letters change (É, Ä, ß stay as they are).
        static string Ascii(string s, bool up) => new(s.Select(c => c < 128 ? (up ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)) : c).ToArray());
        Assert.Equal(words.Select(w => Ascii(w, false)), Text(Compute1("StringLower", [input])));
        Assert.Equal(words.Select(w => Ascii(w, true)), Text(Compute1("StringUpper", [input])));
        // encoding utf-8: non-ASCII letters change too.
        Assert.Equal("école äb", Text(Compute1("StringLower", [S("École ÄB")], ("encoding", ToAttr("utf-8"))))[0]);
        Assert.Equal("ÉCOLE ÄB", Text(Compute1("StringUpper", [S("école äb")], ("encoding", ToAttr("utf-8"))))[0]);
        Assert.Throws<GraphExecutionException>(() => Compute1("StringLower", [S("a")], ("encoding", ToAttr("latin-1"))));
        // StringLength: bytes, or UTF-8 characters (tf.strings.length doc: "Hello,World" 11, "😀" 4 bytes / 1 char).
        var len = Compute1("StringLength", [Tensor.FromStrings(["Hello,World", "😀", "", "héllo"], 2, 2)]);
        Assert.Equal(new TensorShape(2, 2), len.Shape);
        Assert.Equal([11, 4, 0, 6], len.ToArray<int>());
        Assert.Equal([11, 1, 0, 5], Compute1("StringLength", [S("Hello,World", "😀", "", "héllo")], ("unit", ToAttr("UTF8_CHAR"))).ToArray<int>());
        Assert.Equal(DataType.DtInt32, Compute1("StringLength", [Tensor.FromString("abc")]).DType);
    }

    [Fact]
    public void ReduceJoin_FirstListedDimVariesFastest_AsTfDoc()
    {
        // string_ops.cc ReduceJoin doc: a = [["a", "b"], ["c", "d"]].
        var a = Tensor.FromStrings(["a", "b", "c", "d"], 2, 2);
        Tensor Join(int[] dims, bool keep = false, string sep = "")
            => Compute1("ReduceJoin", [a, I(dims, dims.Length)], ("keep_dims", ToAttr(keep)), ("separator", ToAttr(sep)));
        Assert.Equal(["ac", "bd"], Text(Join([0])));
        Assert.Equal(["ab", "cd"], Text(Join([1])));
        Assert.Equal(["ab", "cd"], Text(Join([-1])));
        var kept = Join([0], keep: true);
        Assert.Equal(new TensorShape(1, 2), kept.Shape);
        Assert.Equal(["a.b", "c.d"], Text(Join([1], sep: ".")));
        Assert.Equal(["acbd"], Text(Join([0, 1])));
        Assert.Equal(["abcd"], Text(Join([1, 0])));
        Assert.Equal(TensorShape.Scalar, Join([1, 0]).Shape);
        Assert.Equal(["a", "b", "c", "d"], Text(Join([])));
        Assert.Contains("Invalid reduction dimension 2", Assert.Throws<GraphExecutionException>(() => Join([2])).Message);
        Assert.Contains("Duplicate reduction dimension -2", Assert.Throws<GraphExecutionException>(() => Join([0, -2])).Message);
    }

    [Fact]
    public void ReduceJoin_ThreeDims_MatchesANaiveLoop_AndEmptyDimGivesEmptyStrings()
    {
        int d0 = 2, d1 = 3, d2 = 4;
        var words = Enumerable.Range(0, d0 * d1 * d2).Select(i => ((char)('A' + i % 26)).ToString() + i).ToArray();
        var x = Tensor.FromStrings(words, d0, d1, d2);
        // Reduce dims [2, 0]: dim 2 fastest, then dim 0; output indexed by dim 1.
        var o = Compute1("ReduceJoin", [x, I([2, 0])], ("separator", ToAttr("|")));
        Assert.Equal(new TensorShape(3), o.Shape);
        for (int j = 1 - 1; j < d1; j++)
        {
            var parts = new List<string>();
            for (int i = 0; i < d0; i++)
                for (int k = 0; k < d2; k++) parts.Add(words[(i * d1 + j) * d2 + k]);
            Assert.Equal(string.Join("|", parts), Text(o)[j]);
        }
        var empty = Compute1("ReduceJoin", [Tensor.FromStrings([], 2, 0), I([1])]);
        Assert.Equal(["", ""], Text(empty));
    }
}
