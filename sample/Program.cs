using TypedGraph;
using TypedGraph.Building;
using TypedGraph.Sample;
using TypedGraph.Typed;

if (args is ["finetune", ..]) return TypedGraph.Sample.FineTune.FineTuneDemo.Run(args[1..]);

// The TensorFlow 1.x save/restore tutorial, end to end in C#, with the generated typed class.
var output = Path.Combine(AppContext.BaseDirectory, "tutorial-run");
if (Directory.Exists(output)) Directory.Delete(output, recursive: true);

// 1. Build w1, w2, bias and op_to_restore = (w1 + w2) * bias; run with 4 and 8; save with global_step=1000.
var (first, prefix) = TutorialGraph.BuildRunAndSave(output);
Console.WriteLine($"(4 + 8) * 2 = {first}");
Console.WriteLine($"saved {Path.GetFileName(prefix)}.* and 'checkpoint' in {output}");

// 2. Restore into a fresh session through the class the generator made from models/my_test_model-1000.meta:
//    the graph is embedded at build time; the folder's latest checkpoint supplies the variables.
using var model = TutorialModel.Restore(output);

float restored = model.OpToRestore.Run(w1: 13f, w2: 17f);   // the parameters are exactly the placeholders it needs
Console.WriteLine($"(13 + 17) * bias = {restored}");

// 3. Extend the restored graph (x2) and run the new op, feeding the typed placeholders TF-style. Extend() sees the
//    .meta's collections and op list; Tensor<float>(...) makes the new output a typed handle (no dtype string).
GraphBuilder builder = model.Extend();
GraphTensor<float> added = model.Tensor<float>(builder.Multiply(model.OpToRestore, 2.0, "multiply"));
float onTop = model.Session.Run(added, model.W1.Feed(13f), model.W2.Feed(17f)).Scalar;
Console.WriteLine($"op_to_restore * 2 = {onTop}");

// 4. A real TensorFlow-written model through the generator: smove_mlp (TF 1.4.1, my_test_model-1000).
SmoveSample.Run();
return 0;
