using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// <c>tf.train.AdamOptimizer</c>: slots <c>&lt;var&gt;/Adam</c> (m) and <c>&lt;var&gt;/Adam_1</c> (v), non-slot
/// <c>beta1_power</c>/<c>beta2_power</c> colocated with the first variable by name, <c>ApplyAdam</c> per variable,
/// then <c>Adam/mul</c> + <c>Adam/Assign</c> (and <c>_1</c>) advancing the beta powers after every update.
/// </summary>
public sealed class AdamOptimizer(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8,
    bool useLocking = false, bool useNesterov = false, string name = "Adam") : Optimizer(name, useLocking)
{
    private Output _lr, _beta1, _beta2, _eps;

    /// <summary>The beta1 power accumulator (created on the first <c>ApplyGradients</c>).</summary>
    public Variable? Beta1Power { get; private set; }

    /// <summary>The beta2 power accumulator.</summary>
    public Variable? Beta2Power { get; private set; }

    /// <inheritdoc/>
    protected override void CreateSlots(GraphBuilder b, IReadOnlyList<Variable> vars)
    {
        var first = vars.Select(v => v.Name).Min(StringComparer.Ordinal)!;
        if (Beta1Power == null)
        {
            // The dtype of the first variable; TF creates these as tf.Variable(beta, trainable=False).
            var dtype = vars[0].DType;
            if (vars.Any(v => v.IsResource))
            {
                // Resource variables get resource beta powers (TF: use_resource follows the colocated variable).
                Beta1Power = b.ResourceVariable([], new ConstantInitializer(beta1), "beta1_power", dtype, trainable: false);
                Beta2Power = b.ResourceVariable([], new ConstantInitializer(beta2), "beta2_power", dtype, trainable: false);
            }
            else
            {
                Beta1Power = b.Variable(GraphBuilder.ScalarTensor(beta1, dtype), "beta1_power", false, null, first);
                Beta2Power = b.Variable(GraphBuilder.ScalarTensor(beta2, dtype), "beta2_power", false, null, first);
            }
        }
        foreach (var v in vars)
        {
            ZerosSlot(b, v, "m");
            ZerosSlot(b, v, "v");
        }
    }

    /// <inheritdoc/>
    protected override void Prepare(GraphBuilder b)
    {
        _lr = Hyper(b, learningRate, DataType.DtFloat, "learning_rate");
        _beta1 = Hyper(b, beta1, DataType.DtFloat, "beta1");
        _beta2 = Hyper(b, beta2, DataType.DtFloat, "beta2");
        _eps = Hyper(b, epsilon, DataType.DtFloat, "epsilon");
    }

    /// <inheritdoc/>
    protected override Node ApplyDense(GraphBuilder b, Output grad, Variable v)
        => Apply(b, "ApplyAdam", v, [GetSlot(v, "m")!, GetSlot(v, "v")!],
            [Beta1Power!.Snapshot, Beta2Power!.Snapshot, _lr, _beta1, _beta2, _eps, grad], ("use_nesterov", Attrs.Bool(useNesterov)));

    /// <inheritdoc/>
    protected override Node Finish(GraphBuilder b, IReadOnlyList<string> updates, string name, bool exact)
    {
        string a1, a2;
        using (b.ControlDependencies(updates))
        {
            a1 = AssignTo(b, Beta1Power!, b.Multiply(Beta1Power!.Snapshot, _beta1, "mul"), Beta1Power!.IsResource ? "AssignVariableOp" : "Assign");
            a2 = AssignTo(b, Beta2Power!, b.Multiply(Beta2Power!.Snapshot, _beta2, "mul"), Beta2Power!.IsResource ? "AssignVariableOp" : "Assign");
        }
        List<string> all = [.. updates, a1, a2];
        return exact ? b.AddOperationExact(name, "NoOp", [], null, all) : b.AddOperation("NoOp", [], null, name, all);
    }
}
