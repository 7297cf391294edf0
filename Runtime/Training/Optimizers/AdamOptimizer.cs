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
            // float32 whatever the variables' dtype: TF's _create_non_slot_variable(initial_value=self._beta1, …) makes a
            // variable of a Python float; _apply_dense/_apply_sparse cast it to each variable's dtype.
            var dtype = DataType.DtFloat;
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
            [CastTo(b, Beta1Power!.Snapshot, v), CastTo(b, Beta2Power!.Snapshot, v), CastTo(b, _lr, v), CastTo(b, _beta1, v), CastTo(b, _beta2, v), CastTo(b, _eps, v), grad], ("use_nesterov", Attrs.Bool(useNesterov)));

    /// <summary>
    /// TF's <c>AdamOptimizer._apply_sparse_shared</c> (after deduplication): lr = lr_t·√(1−β2^t)/(1−β1^t);
    /// m = m·β1 then m[indices] += (1−β1)·g; v = v·β2 then v[indices] += (1−β2)·g²; var −= lr·m/(√v + ε) — every row
    /// of m and v decays, only the looked-up rows receive the gradient, and var moves wherever m is non-zero.
    /// Ref variables use Assign/ScatterAdd/AssignSub, resource variables AssignVariableOp/ResourceScatterAdd (then a
    /// ReadVariableOp after it, as TF's <c>_resource_scatter_add</c>)/AssignSubVariableOp.
    /// </summary>
    protected override Node? ApplySparse(GraphBuilder b, IndexedSlices grad, Variable v)
    {
        if (useNesterov) return null; // TF's sparse path has no Nesterov term; keep the dense ApplyAdam for it
        var g = Deduplicate(b, grad);
        var dtype = v.DType;
        var beta1Power = CastTo(b, Beta1Power!.Snapshot, v);
        var beta2Power = CastTo(b, Beta2Power!.Snapshot, v);
        var lrT = CastTo(b, _lr, v);
        var beta1 = CastTo(b, _beta1, v);
        var beta2 = CastTo(b, _beta2, v);
        var eps = CastTo(b, _eps, v);
        var one = b.ScalarConstant(1, dtype, "sub/x");
        var lr = b.Divide(b.Multiply(lrT, b.Sqrt(b.Subtract(one, beta2Power, "sub"), "Sqrt"), "mul"),
            b.Subtract(b.ScalarConstant(1, dtype, "sub_1/x"), beta1Power, "sub_1"), "truediv");
        var m = GetSlot(v, "m")!;
        var vv = GetSlot(v, "v")!;
        var mScaled = b.Multiply(g.Values, b.Subtract(b.ScalarConstant(1, dtype, "sub_2/x"), beta1, "sub_2"), "mul_1");
        var mT = ScaleThenScatterAdd(b, m, beta1, g.Indices, mScaled, "mul_2", "Assign", "ScatterAdd");
        var vScaled = b.Multiply(b.Multiply(g.Values, g.Values, "mul_3"), b.Subtract(b.ScalarConstant(1, dtype, "sub_3/x"), beta2, "sub_3"), "mul_4");
        var vT = ScaleThenScatterAdd(b, vv, beta2, g.Indices, vScaled, "mul_5", "Assign_1", "ScatterAdd_1");
        var step = b.Multiply(lr, b.Divide(mT, b.Add(b.Sqrt(vT, "Sqrt_1"), eps, "add"), "truediv_1"), "mul_6");
        string update = v.IsResource
            ? b.AddOperation("AssignSubVariableOp", [v.Ref, step], null, "AssignSubVariableOp").Name
            : b.AddOperation("AssignSub", [v.Ref, step], new Dictionary<string, AttrValue> { ["use_locking"] = Attrs.Bool(UseLocking), ["_class"] = Attrs.Colocate(v.Name) }, "AssignSub").Name;
        return b.Group([update, mT.NodeName, vT.NodeName], "group_deps");
    }

    // state_ops.assign(s, s·beta) then, after it, scatter_add(s, indices, values); returns the updated value.
    private Output ScaleThenScatterAdd(GraphBuilder b, Variable s, Output beta, Output indices, Output values, string mulName, string assignName, string scatterName)
    {
        var decayed = b.Multiply(s.Snapshot, beta, mulName);
        string assign = AssignTo(b, s, decayed, assignName);
        using (b.ControlDependencies([assign]))
        {
            if (!s.IsResource)
                return b.OutputOf(b.AddOperation("ScatterAdd", [s.Ref, indices, values], new Dictionary<string, AttrValue> { ["use_locking"] = Attrs.Bool(UseLocking), ["_class"] = Attrs.Colocate(s.Name) }, scatterName));
            var scatter = b.AddOperation("ResourceScatterAdd", [s.Ref, indices, values], null, scatterName);
            using (b.ControlDependencies([scatter.Name]))
                return b.OutputOf(b.AddOperation("ReadVariableOp", [s.Ref], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(s.DType) }, "ReadVariableOp"));
        }
    }

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
