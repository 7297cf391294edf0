using System.Runtime.InteropServices;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.StringKernels;

/// <summary>
/// UnicodeScript against TF's unicode_script_op_test.py values, hand-checked UScriptCode numbers from ICU's uscript.h
/// (COMMON 0, INHERITED 1, ARABIC 2, CYRILLIC 8, GREEK 14, HAN 17, HANGUL 18, HEBREW 19, HIRAGANA 20, KATAKANA 22,
/// LATIN 25, THAI 38, UNKNOWN 103), and — independently of our table — the machine's own ICU library
/// (<c>uscript_getScript</c>, called through P/Invoke) on every code point Unicode ≤ 13.0 assigned.
/// </summary>
public unsafe class UnicodeScriptKernelTests
{
    private static int[] Scripts(params int[] codePoints)
        => Compute1("UnicodeScript", [Tensor.Create(codePoints, codePoints.Length)]).ToArray<int>();

    [Fact]
    public void Tf_op_test_values()
    {
        // unicode_script_op_test.py testValidScripts: 'a', Б, 芸, ',' → LATIN, CYRILLIC, HAN, COMMON;
        // testInvalidScript: −100 and 0xFFFFFF → −1; the op doc's example [1, 31, 38] → COMMON.
        Assert.Equal([25, 8, 17, 0], Scripts('a', 0x0411, 0x82B8, ','));
        Assert.Equal([-1, -1], Scripts(-100, 0xFFFFFF));
        Assert.Equal([0, 0, 0], Scripts(1, 31, 38));
    }

    [Fact]
    public void Hand_checked_scripts_and_unknowns()
    {
        int[] cps = ['Z', 'é', 0x0301, 0x05D0, 0x0628, 0x0E01, 0x03A9, 0x3042, 0x30A2, 0xAC00, 0x4E00, 0x20000, '7',
            0x1F600, 0x0378, 0xE000, 0xD800, 0x10FFFF, 0x10FFFF + 1, int.MinValue, 0x1E290, 0x16FE2];
        int[] expected = [25, 25, 1, 19, 2, 38, 14, 20, 22, 18, 17, 17, 0,
            0, 103, 103, 103, 103, -1, -1, 103, 0];
        // U+0378 unassigned, U+E000 private use, U+D800 a surrogate, U+10FFFF a noncharacter: Unknown. U+1E290 (Toto) was
        // assigned in Unicode 14.0, after the 13.0 data TF's ICU 69.1 carries: Unknown. U+16FE2 is Common in 13.0 (Han
        // from Unicode 14.0 on).
        Assert.Equal(expected, Scripts(cps));
    }

    [Fact]
    public void Shapes_are_kept_and_non_int32_input_is_refused()
    {
        var o = Compute1("UnicodeScript", [Tensor.Create(new[] { (int)'a', 0x0411, -5, 0x4E00 }, 2, 2)]);
        Assert.Equal(new TensorShape(2, 2), o.Shape);
        Assert.Equal([25, 8, -1, 17], o.ToArray<int>());
        Assert.Empty(Compute1("UnicodeScript", [Tensor.Create(Array.Empty<int>(), 0)]).ToArray<int>());
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("UnicodeScript", [Tensor.Create(new long[] { 97 }, 1)]));
        Assert.Contains("int32", e.Message);
    }

    [Fact]
    public void Every_code_point_assigned_by_unicode_13_matches_the_systems_icu()
    {
        var icu = SystemIcu.Load();
        Assert.True(icu.Version >= 69, $"The system ICU ({icu.Version}) is older than TF's 69.1.");
        // Code points whose Script value Unicode changed after 13.0 (Common → Han in 14.0); only these may differ.
        var changedAfter13 = new HashSet<int> { 0x16FE2, 0x16FE3 };
        int assigned = 0;
        var all = new int[0x110000];
        for (int cp = 0; cp < all.Length; cp++) all[cp] = cp;
        var ours = Scripts(all);
        var age = stackalloc byte[4];
        for (int cp = 0; cp <= 0x10FFFF; cp++)
        {
            icu.CharAge(cp, age);
            bool assignedBy13 = (age[0], age[1]) != (0, 0) && (age[0] < 13 || (age[0] == 13 && age[1] == 0));
            if (!assignedBy13)
            {
                Assert.True(ours[cp] == 103, $"U+{cp:X4} (not assigned by Unicode 13.0): {ours[cp]}, expected Unknown (103)");
                continue;
            }
            assigned++;
            int err = 0;
            int expected = icu.GetScript(cp, &err);
            Assert.Equal(0, err);
            if (changedAfter13.Contains(cp)) Assert.Equal(0, ours[cp]);
            else Assert.True(expected == ours[cp], $"U+{cp:X4}: ICU {icu.Version} says {expected}, ours {ours[cp]}");
        }
        // Outside 0…0x10FFFF (negatives compared as unsigned) ICU reports an error, which TF turns into −1.
        foreach (int invalid in new[] { -1, -100, int.MinValue, 0x110000, 0xFFFFFF })
        {
            int err = 0;
            icu.GetScript(invalid, &err);
            Assert.True(err > 0, $"ICU accepted {invalid}");
            Assert.Equal(-1, Scripts(invalid)[0]);
        }
        // Unicode 13.0's published counts: 143,859 graphic and format characters, 65 controls, 66 noncharacters,
        // 137,468 private-use code points and 2,048 surrogates — every one has an age ≤ 13.0.
        Assert.Equal(143_859 + 65 + 66 + 137_468 + 2_048, assigned);
    }

    /// <summary>The machine's libicuuc (which .NET itself needs on Linux), its symbols suffixed with the major version.</summary>
    private sealed class SystemIcu
    {
        public int Version { get; private init; }
        public delegate* unmanaged<int, int*, int> GetScript { get; private init; }
        public delegate* unmanaged<int, byte*, void> CharAge { get; private init; }

        public static SystemIcu Load()
        {
            foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib" })
            {
                if (!Directory.Exists(dir)) continue;
                foreach (var path in Directory.GetFiles(dir, "libicuuc.so.*").OrderByDescending(p => p, StringComparer.Ordinal))
                {
                    var suffix = Path.GetFileName(path)["libicuuc.so.".Length..].Split('.')[0];
                    if (!int.TryParse(suffix, out int version) || !NativeLibrary.TryLoad(path, out var lib)) continue;
                    return new SystemIcu
                    {
                        Version = version,
                        GetScript = (delegate* unmanaged<int, int*, int>)NativeLibrary.GetExport(lib, $"uscript_getScript_{version}"),
                        CharAge = (delegate* unmanaged<int, byte*, void>)NativeLibrary.GetExport(lib, $"u_charAge_{version}"),
                    };
                }
            }
            throw new InvalidOperationException("No libicuuc.so.NN found: .NET on Linux needs ICU (unless globalization-invariant), and this test uses it as the independent reference.");
        }
    }
}
