namespace TypedGraph.Formats;

/// <summary>Writes a file the way TF's <c>atomic_write_string_to_file</c> does: to <c>&lt;path&gt;.tmp&lt;32 hex&gt;</c>
/// in the same directory, then a rename over the target, so readers never see a torn file.</summary>
internal static class AtomicFile
{
    /// <summary>Test hook: called after the temp file is written and before the rename (throw to simulate a crash).</summary>
    internal static Action<string>? BeforeRename { get; set; }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = path + ".tmp" + Guid.NewGuid().ToString("N");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            BeforeRename?.Invoke(path);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Writes UTF-8 text atomically.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
}
