using TypedGraph.Kernels;

// Writes every op type the runtime has a kernel for, one per line, sorted ordinally, to the file named
// by the single argument (or stdout). The generator embeds this list so its unsupported-op diagnostic
// (TG0002) and the runtime can never disagree: the list is produced from the registry itself on
// every build of the generator, not maintained by hand.
var text = string.Join("\n", KernelRegistry.Default.OpTypes) + "\n";
if (args.Length == 1)
{
    var dir = Path.GetDirectoryName(Path.GetFullPath(args[0]));
    if (dir != null) Directory.CreateDirectory(dir);
    // Only rewrite on change, so the generator's inputs stay untouched when nothing moved.
    if (!File.Exists(args[0]) || File.ReadAllText(args[0]) != text) File.WriteAllText(args[0], text);
}
else
{
    Console.Write(text);
}
