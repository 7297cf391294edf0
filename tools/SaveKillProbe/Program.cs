using TypedGraph;
using TypedGraph.Building;
using TypedGraph.Execution;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Training;

// Usage: TypedGraph.SaveKillProbe <dir> [saves]
// Saves <dir>/model-<step> again and again (forever, or `saves` times) with max_to_keep 3, printing "saved <step>" after
// each save. Step i writes w = [i, i, …] (2 MiB, so a save takes long enough to be killed inside) and step = i. On start it
// restores the latest checkpoint named by <dir>/checkpoint (if any), recovers the saver's list of checkpoints from the
// state file as TF's Saver.recover_last_checkpoints does, and continues from step + 1. The parent kills it with SIGKILL
// at random points and checks the directory between runs.
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: TypedGraph.SaveKillProbe <dir> [saves]");
    return 2;
}
var dir = args[0];
long? saves = args.Length == 2 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : null;
const int Size = 512 * 1024;

var b = new GraphBuilder();
var w = b.Variable(Tensor.Zeros(DataType.DtFloat, new TensorShape(Size)), "w");
var step = b.Variable(Tensor.FromScalar(0L), "step");
var wIn = b.Placeholder(DataType.DtFloat, [Size], "w_in");
var stepIn = b.Placeholder(DataType.DtInt64, [], "step_in");
var assignW = b.Assign(w, wIn, "assign_w");
var assignStep = b.Assign(step, stepIn, "assign_step");
b.GlobalVariablesInitializer();
var saver = new Saver(b, new SaverOptions { MaxToKeep = 3 });
using var session = new Session(b.Graph);

long next = 1;
var state = CheckpointState.Read(dir);
if (state != null)
{
    saver.Restore(session, CheckpointState.Resolve(dir, state.ModelCheckpointPath));
    next = session.Run(step.Snapshot.Name).Scalar<long>() + 1;
    saver.RecoverLastCheckpoints(state.AllModelCheckpointPaths.Select(p => CheckpointState.Resolve(dir, p)));
}
else
{
    session.Initialize();
}

var values = new float[Size];
for (long done = 0; saves == null || done < saves; done++, next++)
{
    Array.Fill(values, next);
    session.Run([], new Dictionary<string, Tensor> { [wIn.Name] = Tensor.Create(values, Size), [stepIn.Name] = Tensor.FromScalar(next) },
        [assignW.NodeName, assignStep.NodeName]);
    saver.Save(session, Path.Combine(dir, "model"), next);
    Console.Out.WriteLine($"saved {next}");
    Console.Out.Flush();
}
return 0;
