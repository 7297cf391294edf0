using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary><c>tf.train.GradientDescentOptimizer</c>: <c>ApplyGradientDescent(var, learning_rate, grad)</c>.</summary>
public sealed class GradientDescentOptimizer(double learningRate, bool useLocking = false, string name = "GradientDescent") : Optimizer(name, useLocking)
{
    private Output _lr;

    /// <inheritdoc/>
    protected override void Prepare(GraphBuilder b) => _lr = Hyper(b, learningRate, DataType.DtFloat, "learning_rate");

    /// <inheritdoc/>
    protected override Node ApplyDense(GraphBuilder b, Output grad, Variable v)
        => Apply(b, "ApplyGradientDescent", v, [], [CastTo(b, _lr, v), grad]);

    /// <summary>TF's <c>GradientDescentOptimizer._apply_sparse_duplicate_indices</c>: <c>ScatterSub(var, indices,
    /// values · lr)</c>, or <c>ResourceScatterAdd(var, indices, −values · lr)</c> for a resource variable (duplicates add).</summary>
    protected override Node? ApplySparse(GraphBuilder b, IndexedSlices grad, Variable v)
    {
        var lr = CastTo(b, _lr, v);
        if (v.IsResource)
            return b.AddOperation("ResourceScatterAdd", [v.Ref, grad.Indices, b.Multiply(b.Negate(grad.Values, "Neg"), lr, "mul")], null, "ResourceScatterAdd");
        var attrs = new Dictionary<string, AttrValue> { ["use_locking"] = Attrs.Bool(UseLocking), ["_class"] = Attrs.Colocate(v.Name) };
        return b.AddOperation("ScatterSub", [v.Ref, grad.Indices, b.Multiply(grad.Values, lr, "mul")], attrs, "ScatterSub");
    }
}

/// <summary><c>tf.train.MomentumOptimizer</c>: slot <c>&lt;var&gt;/Momentum</c>, <c>ApplyMomentum</c> (optionally Nesterov).</summary>
public sealed class MomentumOptimizer(double learningRate, double momentum, bool useNesterov = false, bool useLocking = false, string name = "Momentum") : Optimizer(name, useLocking)
{
    private Output _lr, _momentum;

    /// <inheritdoc/>
    protected override void CreateSlots(GraphBuilder b, IReadOnlyList<Variable> vars)
    {
        foreach (var v in vars) ZerosSlot(b, v, "momentum");
    }

    /// <inheritdoc/>
    protected override void Prepare(GraphBuilder b)
    {
        _lr = Hyper(b, learningRate, DataType.DtFloat, "learning_rate");
        _momentum = Hyper(b, momentum, DataType.DtFloat, "momentum");
    }

    /// <inheritdoc/>
    protected override Node ApplyDense(GraphBuilder b, Output grad, Variable v)
        => Apply(b, "ApplyMomentum", v, [GetSlot(v, "momentum")!], [CastTo(b, _lr, v), grad, CastTo(b, _momentum, v)], ("use_nesterov", Attrs.Bool(useNesterov)));

    /// <summary>TF's <c>MomentumOptimizer._apply_sparse</c> (after deduplication): <c>SparseApplyMomentum</c>.</summary>
    protected override Node? ApplySparse(GraphBuilder b, IndexedSlices grad, Variable v)
    {
        var g = Deduplicate(b, grad);
        return Apply(b, "SparseApplyMomentum", v, [GetSlot(v, "momentum")!], [CastTo(b, _lr, v), g.Values, g.Indices, CastTo(b, _momentum, v)], ("use_nesterov", Attrs.Bool(useNesterov)));
    }
}

/// <summary><c>tf.train.AdagradOptimizer</c>: slot <c>&lt;var&gt;/Adagrad</c> initialised to <paramref name="initialAccumulatorValue"/>, <c>ApplyAdagrad</c>.</summary>
public sealed class AdagradOptimizer(double learningRate, double initialAccumulatorValue = 0.1, bool useLocking = false, string name = "Adagrad") : Optimizer(name, useLocking)
{
    private Output _lr;
    private readonly Dictionary<string, Variable> _accum = [];

    /// <inheritdoc/>
    protected override void CreateSlots(GraphBuilder b, IReadOnlyList<Variable> vars)
    {
        foreach (var v in vars)
            _accum[v.Name] = MakeSlot(b, v, new ConstantInitializer(initialAccumulatorValue));
    }

    /// <inheritdoc/>
    protected override void Prepare(GraphBuilder b) => _lr = Hyper(b, learningRate, DataType.DtFloat, "learning_rate");

    /// <inheritdoc/>
    protected override Node ApplyDense(GraphBuilder b, Output grad, Variable v) => Apply(b, "ApplyAdagrad", v, [_accum[v.Name]], [CastTo(b, _lr, v), grad]);

    /// <summary>TF's <c>AdagradOptimizer._apply_sparse</c> (after deduplication): <c>SparseApplyAdagrad</c>.</summary>
    protected override Node? ApplySparse(GraphBuilder b, IndexedSlices grad, Variable v)
    {
        var g = Deduplicate(b, grad);
        return Apply(b, "SparseApplyAdagrad", v, [_accum[v.Name]], [CastTo(b, _lr, v), g.Values, g.Indices]);
    }
}

/// <summary><c>tf.train.RMSPropOptimizer</c>: slots <c>&lt;var&gt;/RMSProp</c> (ms, initialised to ones) and
/// <c>&lt;var&gt;/RMSProp_1</c> (momentum, zeros), <c>ApplyRMSProp</c>.</summary>
public sealed class RMSPropOptimizer(double learningRate, double decay = 0.9, double momentum = 0, double epsilon = 1e-10, bool useLocking = false, string name = "RMSProp") : Optimizer(name, useLocking)
{
    private Output _lr, _rho, _momentum, _eps;
    private readonly Dictionary<string, (Variable Ms, Variable Mom)> _s = [];

    /// <inheritdoc/>
    protected override void CreateSlots(GraphBuilder b, IReadOnlyList<Variable> vars)
    {
        foreach (var v in vars)
        {
            var ms = MakeSlot(b, v, new OnesInitializer());
            var mom = ZerosSlot(b, v, "momentum");
            _s[v.Name] = (ms, mom);
        }
    }

    /// <inheritdoc/>
    protected override void Prepare(GraphBuilder b)
    {
        _lr = Hyper(b, learningRate, DataType.DtFloat, "learning_rate");
        _rho = Hyper(b, decay, DataType.DtFloat, "decay");
        _momentum = Hyper(b, momentum, DataType.DtFloat, "momentum");
        _eps = Hyper(b, epsilon, DataType.DtFloat, "epsilon");
    }

    /// <inheritdoc/>
    protected override Node ApplyDense(GraphBuilder b, Output grad, Variable v)
        => Apply(b, "ApplyRMSProp", v, [_s[v.Name].Ms, _s[v.Name].Mom], [CastTo(b, _lr, v), CastTo(b, _rho, v), CastTo(b, _momentum, v), CastTo(b, _eps, v), grad]);
}
