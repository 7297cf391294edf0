using System.Text;
using TypedGraph.Protos;
using TypedGraph.Formats;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// TF's file ops (<c>core/kernels/whole_file_read_ops.cc</c>, <c>matching_files_op.cc</c>): <c>ReadFile</c> returns a
/// file's bytes as a string scalar; <c>WriteFile</c> creates the missing parent directories as TF's
/// <c>WriteFileOp</c> (<c>RecursivelyCreateDir(Dirname)</c>) and writes the contents — here through a temp file and a
/// rename, so a failed write never leaves a half-written target; <c>MatchingFiles</c> expands one glob pattern or a
/// vector of them (<c>*</c>, <c>?</c>, <c>[…]</c> within one path component, as TF's <c>GetMatchingPaths</c> /
/// fnmatch) and returns every match sorted, an empty vector when nothing matches. Local paths only.
/// </summary>
internal sealed class FileIoKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ReadFile", node => new DelegateKernel(node, ctx =>
        {
            string path = ScalarString(ctx, 0, "filename");
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (FileNotFoundException) { throw ctx.Error($"NotFound: {path}; No such file or directory"); }
            catch (DirectoryNotFoundException) { throw ctx.Error($"NotFound: {path}; No such file or directory"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw ctx.Error($"{path}: {e.Message}"); }
            ctx.SetOutput(0, new Tensor(TensorShape.Scalar, [bytes]));
        }));
        registry.Add("WriteFile", node => new DelegateKernel(node, ctx =>
        {
            string path = ScalarString(ctx, 0, "filename");
            if (ctx.Input(1).Shape.Rank != 0) throw ctx.Error($"Contents tensor must be scalar, but had shape: {ctx.Input(1).Shape}");
            var contents = ctx.Input(1).Strings[0];
            try
            {
                string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                AtomicFile.WriteAllBytes(path, contents);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw ctx.Error($"{path}: {e.Message}");
            }
        }));
        registry.Add("MatchingFiles", node => new DelegateKernel(node, ctx =>
        {
            var patterns = ctx.Input(0);
            if (patterns.Shape.Rank > 1) throw ctx.Error($"Input pattern tensor must be scalar or vector, but had shape: {patterns.Shape}");
            if (patterns.DType != DataType.DtString) throw ctx.Error("pattern must be a string tensor");
            var matches = new List<string>();
            foreach (var p in patterns.Strings) matches.AddRange(Glob(Encoding.UTF8.GetString(p)));
            matches.Sort(StringComparer.Ordinal);
            ctx.SetOutput(0, new Tensor(new TensorShape(matches.Count), matches.Select(m => Encoding.UTF8.GetBytes(m)).ToArray()));
        }));
    }

    private static string ScalarString(OpKernelContext ctx, int input, string what)
    {
        var t = ctx.Input(input);
        if (t.Shape.Rank != 0) throw ctx.Error($"Input {what} tensor must be scalar, but had shape: {t.Shape}");
        if (t.DType != DataType.DtString) throw ctx.Error($"{what} must be a string");
        return Encoding.UTF8.GetString(t.Strings[0]);
    }

    /// <summary>Every existing path matching <paramref name="pattern"/>, expanded component by component.</summary>
    internal static IEnumerable<string> Glob(string pattern)
    {
        if (pattern.Length == 0) return [];
        var parts = pattern.Split('/');
        // The fixed prefix (no wildcard) is taken as is; the rest is matched against directory listings.
        int first = Array.FindIndex(parts, IsWildcard);
        if (first < 0) return File.Exists(pattern) || Directory.Exists(pattern) ? [pattern] : [];
        string root = string.Join('/', parts, 0, first);
        var current = new List<string> { root };
        for (int i = first; i < parts.Length; i++)
        {
            var next = new List<string>();
            bool last = i == parts.Length - 1;
            foreach (var dir in current)
            {
                string listDir = dir.Length == 0 ? "." : dir;
                if (!Directory.Exists(listDir)) continue;
                if (!IsWildcard(parts[i]))
                {
                    string candidate = Join(dir, parts[i]);
                    if (last ? File.Exists(candidate) || Directory.Exists(candidate) : Directory.Exists(candidate)) next.Add(candidate);
                    continue;
                }
                IEnumerable<string> entries;
                try { entries = last ? Directory.EnumerateFileSystemEntries(listDir) : Directory.EnumerateDirectories(listDir); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                foreach (var entry in entries)
                {
                    string name = Path.GetFileName(entry);
                    if (Match(parts[i], 0, name, 0)) next.Add(Join(dir, name));
                }
            }
            current = next;
        }
        return current;
    }

    private static string Join(string dir, string name) => dir.Length == 0 ? name : dir.EndsWith('/') ? dir + name : dir + "/" + name;

    private static bool IsWildcard(string part) => part.IndexOfAny(['*', '?', '[', '\\']) >= 0;

    // fnmatch for one path component: * any run, ? one char, [abc] / [a-z] / [!x] / [^x] a set, \ escapes.
    private static bool Match(string p, int pi, string s, int si)
    {
        while (pi < p.Length)
        {
            char c = p[pi];
            if (c == '*')
            {
                while (pi < p.Length && p[pi] == '*') pi++;
                if (pi == p.Length) return true;
                for (int k = si; k <= s.Length; k++)
                    if (Match(p, pi, s, k)) return true;
                return false;
            }
            if (si >= s.Length) return false;
            if (c == '?') { pi++; si++; continue; }
            if (c == '[')
            {
                int end = p.IndexOf(']', pi + 2);
                if (end < 0) { if (s[si] != '[') return false; pi++; si++; continue; }
                bool negate = p[pi + 1] is '!' or '^';
                int start = pi + (negate ? 2 : 1);
                bool found = false;
                for (int k = start; k < end; k++)
                {
                    if (k + 2 < end && p[k + 1] == '-') { if (s[si] >= p[k] && s[si] <= p[k + 2]) found = true; k += 2; }
                    else if (p[k] == s[si]) found = true;
                }
                if (found == negate) return false;
                pi = end + 1;
                si++;
                continue;
            }
            if (c == '\\' && pi + 1 < p.Length) { pi++; c = p[pi]; }
            if (c != s[si]) return false;
            pi++;
            si++;
        }
        return si == s.Length;
    }
}
