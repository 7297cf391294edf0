using System.Globalization;

namespace TypedGraph.Server.Models;

/// <summary>How a model's files are laid out on disk.</summary>
public enum ModelSourceKind
{
    /// <summary>TF Serving's base path: numbered version folders (<c>/models/name/1</c>, <c>/2</c>…), each a SavedModel.</summary>
    Versioned,
    /// <summary>One SavedModel folder (served as version 1).</summary>
    SavedModel,
    /// <summary>A <c>.meta</c> (or frozen <c>.pb</c>) graph with a checkpoint (served as version 1); its SignatureDefs are the API.</summary>
    MetaGraph,
}

/// <summary>One version folder/file found on disk.</summary>
/// <param name="Version">The version number (the folder name for versioned models).</param>
/// <param name="Path">The SavedModel folder or graph file.</param>
public sealed record ModelVersionPath(long Version, string Path);

/// <summary>
/// Where a served model comes from: a TF Serving-style base folder of numbered versions, a single SavedModel,
/// or a graph file plus checkpoint. <see cref="Scan"/> lists the versions present now.
/// </summary>
public sealed class ModelSource
{
    private ModelSource(string path, string? checkpoint, ModelSourceKind kind)
    {
        Path = path;
        Checkpoint = checkpoint;
        Kind = kind;
    }

    /// <summary>The folder or file given.</summary>
    public string Path { get; }

    /// <summary>The checkpoint prefix or folder (graph files only).</summary>
    public string? Checkpoint { get; }

    /// <summary>The layout.</summary>
    public ModelSourceKind Kind { get; }

    /// <summary>Classifies <paramref name="path"/>: a folder holding <c>saved_model.pb</c> is one SavedModel, any other
    /// folder a versioned base path; a file is a graph (a checkpoint is then required unless the graph has no variables).</summary>
    /// <exception cref="FileNotFoundException">Nothing at <paramref name="path"/>.</exception>
    public static ModelSource Open(string path, string? checkpoint = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            if (checkpoint != null) throw new ArgumentException($"--checkpoint is only for a graph file; '{path}' is a folder (a SavedModel restores its own variables).");
            return IsSavedModelDir(full) ? new ModelSource(full, null, ModelSourceKind.SavedModel) : new ModelSource(full, null, ModelSourceKind.Versioned);
        }
        if (File.Exists(full)) return new ModelSource(full, checkpoint, ModelSourceKind.MetaGraph);
        throw new FileNotFoundException($"{path}: no such model folder or graph file.", path);
    }

    /// <summary>True when <paramref name="dir"/> holds a SavedModel (<c>saved_model.pb</c> or <c>saved_model.pbtxt</c>).</summary>
    public static bool IsSavedModelDir(string dir)
        => File.Exists(System.IO.Path.Combine(dir, "saved_model.pb")) || File.Exists(System.IO.Path.Combine(dir, "saved_model.pbtxt"));

    /// <summary>The versions on disk now, lowest first. For a base path: sub-folders named by a non-negative integer that
    /// hold a SavedModel (TF Serving's file-system source takes numeric folder names; a folder still being copied has
    /// no <c>saved_model.pb</c> yet and is skipped until it does).</summary>
    public IReadOnlyList<ModelVersionPath> Scan()
    {
        if (Kind != ModelSourceKind.Versioned) return [new ModelVersionPath(1, Path)];
        if (!Directory.Exists(Path)) return [];
        var list = new List<ModelVersionPath>();
        foreach (var dir in Directory.EnumerateDirectories(Path))
        {
            var name = System.IO.Path.GetFileName(dir);
            if (!long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) continue;
            if (IsSavedModelDir(dir)) list.Add(new ModelVersionPath(v, dir));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list;
    }
}
