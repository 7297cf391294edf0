using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Sample.FineTune;

/// <summary>
/// <c>dotnet run --project sample -- finetune [--fixtures DIR] [--out DIR] [--epochs N]</c>: the tutorial's
/// transfer-learning scenario. Restores a trained TF network (mnist_fc2 with its checkpoint; the CNN
/// mnist_cnn_meta from its own initializers), takes its penultimate layer, stops gradients there, adds a new
/// 2-class dense layer with softmax cross-entropy, trains it with Adam on rendered digits ("0" vs "1 or 7"),
/// saves with global_step and restores the result in a fresh session to show identical predictions.
/// </summary>
public static class FineTuneDemo
{
    /// <summary>Runs the demo; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        string? fixtures = Arg(args, "--fixtures") ?? FindFixtures();
        string output = Arg(args, "--out") ?? Path.Combine(Path.GetTempPath(), "typedgraph-finetune");
        int epochs = int.TryParse(Arg(args, "--epochs"), out var e) ? e : 8;
        Directory.CreateDirectory(output);
        var data = Dataset.Make(seed: 7);
        Console.WriteLine($"Rendered {data.TrainCount} training and {data.TestCount} test digits (class 0 = \"0\", class 1 = \"1\" or \"7\"). A sample \"7\":");
        Console.WriteLine(DigitRenderer.Ascii(DigitRenderer.Render(7, new Random(3))));

        // 1. The MLP mnist_fc2 (TF 1.5, Adam-trained, 784-100-25-10), or our own model of the same shape.
        string fc2 = fixtures == null ? "" : Path.Combine(fixtures, "mnist_fc2");
        string prefix;
        if (File.Exists(Path.Combine(fc2, "fc2.ckpt.meta"))) prefix = Path.Combine(fc2, "fc2.ckpt");
        else
        {
            Console.WriteLine("mnist_fc2 fixture not found: building and saving our own 784-100-25-10 model instead.");
            prefix = BaseModel.BuildAndSave(Path.Combine(output, "base"), data);
        }
        var run1 = FineTuner.FromCheckpoint(prefix + ".meta", prefix, features: "h2/Relu:0", featureWidth: 25, input: "input/x:0");
        run1.Train(data, epochs, Path.Combine(output, "fc2-finetuned"));
        run1.Export(data, Path.Combine(output, "fc2-finetuned"));

        // 2. The CNN mnist_cnn_meta (TF 1.13, no checkpoint): initialised by its own initializers.
        string cnn = fixtures == null ? "" : Path.Combine(fixtures, "mnist_cnn_meta", "cnn.ckpt.meta");
        if (File.Exists(cnn))
        {
            var run2 = FineTuner.FromInitializers(cnn, features: "Relu_2:0", featureWidth: 200, input: "x:0", extraFeeds: new() { ["pkeep:0"] = Tensor.FromScalar(1f) });
            run2.Train(data, epochs, Path.Combine(output, "cnn-finetuned"));
            run2.Export(data, Path.Combine(output, "cnn-finetuned"));
        }
        else Console.WriteLine("mnist_cnn_meta fixture not found: skipping the CNN part.");
        return 0;
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    // ../shared/fixtures beside the folder holding TypedGraph.sln, searched from the working directory and the binary.
    private static string? FindFixtures()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "TypedGraph.sln")))
                {
                    var p = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures"));
                    if (Directory.Exists(p)) return p;
                }
        return null;
    }
}
