using TypedGraph.Typed;

namespace TypedGraph.Sample;

/// <summary>
/// smove_mlp from <c>../shared/fixtures</c> (logistic regression written by TF 1.4.1): the generator reads the
/// fixture's <c>.meta</c> in place at build time (never copied into the project) when the folder exists.
/// </summary>
public static class SmoveSample
{
    /// <summary>Restores TF's own checkpoint and prints the first four predictions <c>O = sigmoid(X·W)</c>.</summary>
    public static void Run()
    {
#if TYPEDGRAPH_FIXTURES
        // The build recorded where it found the fixture (sample.csproj); the graph itself is embedded.
        var folder = typeof(SmoveSample).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "SmoveFolder").Value!;
        if (!Directory.Exists(folder))
        {
            Console.WriteLine($"smove_mlp: skipped, the fixtures folder '{folder}' is not there at run time.");
            return;
        }
        using var model = SmoveModel.Restore(folder);
        // Four rows of X: a leading 1 (the bias column), then 20 features.
        var x = new float[4 * 21];
        for (int r = 0; r < 4; r++)
        {
            x[r * 21] = 1f;
            for (int c = 1; c < 21; c++) x[r * 21 + c] = (r + 1) * 0.1f * c - 1f;
        }
        var o = model.O.Run(x: TensorValue<float>.Create(x, 4, 21)).ToArray();
        Console.WriteLine("smove_mlp O (first 4 predictions): " + string.Join(", ", o.Select(v => v.ToString("F6", System.Globalization.CultureInfo.InvariantCulture))));
        // MatMul (X·W) is auto-named and consumed, so it is a member only because sample.csproj lists it in IncludeNodes
        // after a ';' — this line compiles only if that list reached the generator whole.
        var logits = model.MatMul.Run(x: TensorValue<float>.Create(x, 4, 21)).ToArray();
        bool same = logits.Select((l, i) => Math.Abs(1 / (1 + Math.Exp(-l)) - o[i]) < 1e-6).All(b => b);
        Console.WriteLine($"smove_mlp sigmoid(MatMul) == O: {same}");
#else
        Console.WriteLine("smove_mlp: skipped, ../shared/fixtures/smove_mlp was not found when this sample was built.");
#endif
    }
}
