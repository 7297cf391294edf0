using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Base of the TF1 optimizers (<c>tf.train.Optimizer</c>): <see cref="ComputeGradients"/> (tf.gradients of the loss
/// w.r.t. each variable), <see cref="ApplyGradients"/> (slots, then <c>&lt;Name&gt;/update_&lt;var&gt;/Apply*</c> ops and a
/// final NoOp, or an <c>AssignAdd</c> on <c>global_step</c>, named <c>&lt;Name&gt;</c>), and <see cref="Minimize"/>.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<(string Var, string Slot), Variable> _slots = [];

    /// <summary>Creates the optimizer; <paramref name="name"/> is its name scope (<c>GradientDescent</c>, <c>Adam</c>…).</summary>
    protected Optimizer(string name, bool useLocking)
    {
        Name = name;
        UseLocking = useLocking;
    }

    /// <summary>Name scope of the update ops.</summary>
    public string Name { get; }

    /// <summary>The <c>use_locking</c> attr of the Apply ops.</summary>
    public bool UseLocking { get; }

    /// <summary>Gradients of <paramref name="loss"/> for each variable (default: <c>trainable_variables</c>);
    /// a null gradient means the loss does not depend on that variable.</summary>
    public IReadOnlyList<(Output? Grad, Variable Var)> ComputeGradients(GraphBuilder b, Output loss, IReadOnlyList<Variable>? varList = null)
    {
        var vars = varList ?? b.TrainableVariables;
        if (vars.Count == 0) throw new ArgumentException("No variables to optimize.");
        var grads = Gradients.Compute(b, [loss], vars.Select(v => v.Ref).ToList());
        return vars.Select((v, i) => (grads[i], v)).ToList();
    }

    /// <summary>Adds the update ops for the non-null gradients and returns the training op.</summary>
    /// <exception cref="ArgumentException">Every gradient is null (the loss depends on none of the variables).</exception>
    public Node ApplyGradients(GraphBuilder b, IReadOnlyList<(Output? Grad, Variable Var)> gradsAndVars, Variable? globalStep = null, string? name = null)
    {
        var pairs = gradsAndVars.Where(p => p.Grad != null).Select(p => (Grad: p.Grad!.Value, p.Var)).ToList();
        if (pairs.Count == 0)
            throw new ArgumentException($"No gradients provided for any variable: {string.Join(", ", gradsAndVars.Select(p => p.Var.Name))}.");
        using (b.NameScope("")) CreateSlots(b, pairs.Select(p => p.Var).ToList());
        var scope = b.UniqueName(name ?? Name);
        using var _ = b.NameScope(scope + "/");
        Prepare(b);
        var updates = new List<string>();
        foreach (var (grad, v) in pairs)
            using (b.NameScope("update_" + v.Name))
                updates.Add(((SparseGradients.TryGet(b, grad, out var slices) ? ApplySparse(b, slices, v) : null) ?? ApplyDense(b, grad, v)).Name);
        Node result;
        if (globalStep == null) result = Finish(b, updates, scope, exact: true);
        else
        {
            var update = Finish(b, updates, "update", exact: false);
            Output one;
            // TF's apply_gradients: a resource global_step gets assign_add_variable_op(handle, convert_to_tensor(1)),
            // a ref one state_ops.assign_add(global_step, 1) — both after the updates, named after the scope.
            using (b.ControlDependencies([update.Name])) one = b.ScalarConstant(1, globalStep.DType, globalStep.IsResource ? "Const" : "value");
            result = globalStep.IsResource
                ? b.AddOperationExact(scope, "AssignAddVariableOp", [globalStep.Ref, one], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(globalStep.DType), ["_class"] = Attrs.Colocate(globalStep.Name) })
                : b.AddOperationExact(scope, "AssignAdd", [globalStep.Ref, one], new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(globalStep.Name), ["use_locking"] = Attrs.Bool(UseLocking) });
        }
        return result;
    }

    /// <summary><c>optimizer.minimize(loss, global_step, var_list)</c>: gradients, then updates; the result is also
    /// added to the <c>train_op</c> collection so an exported graph can be resumed with <c>Run(train_op)</c>.</summary>
    public Node Minimize(GraphBuilder b, Output loss, Variable? globalStep = null, IReadOnlyList<Variable>? varList = null, string? name = null)
    {
        var op = ApplyGradients(b, ComputeGradients(b, loss, varList), globalStep, name);
        b.Collections.Add(GraphCollections.TrainOp, op.Name);
        return op;
    }

    /// <summary>The slot variable <paramref name="slot"/> (e.g. "m") of <paramref name="v"/>, once created.</summary>
    public Variable? GetSlot(Variable v, string slot) => _slots.GetValueOrDefault((v.Name, slot));

    /// <summary>Creates slot and non-slot variables (at the top-level scope).</summary>
    protected virtual void CreateSlots(GraphBuilder b, IReadOnlyList<Variable> vars) { }

    /// <summary>Creates the hyper-parameter constants in the optimizer's scope (<c>learning_rate</c>…).</summary>
    protected abstract void Prepare(GraphBuilder b);

    /// <summary>Adds the Apply op (named after its op type) for one variable.</summary>
    protected abstract Node ApplyDense(GraphBuilder b, Output grad, Variable v);

    /// <summary>The update for an <see cref="IndexedSlices"/> gradient (TF's <c>_apply_sparse_duplicate_indices</c>), or
    /// null to use <see cref="ApplyDense"/> on its dense form. Indices may repeat; see <see cref="Deduplicate"/>.</summary>
    protected virtual Node? ApplySparse(GraphBuilder b, IndexedSlices grad, Variable v) => null;

    /// <summary>TF's <c>_deduplicate_indexed_slices</c>: <c>Unique</c> of the indices and the values summed per unique
    /// index with <c>UnsortedSegmentSum</c> (the SparseApply ops then see each row once).</summary>
    protected static IndexedSlices Deduplicate(GraphBuilder b, IndexedSlices grad)
    {
        var unique = b.AddOperation("Unique", [grad.Indices], null, "Unique");
        var uniqueIdx = b.OutputOf(unique, 0);
        var n = b.Reshape(b.Slice(b.Shape(uniqueIdx), b.Constant(new[] { 0 }, "strided_slice/stack"), b.Constant(new[] { 1 }, "strided_slice/size"), "strided_slice"), Array.Empty<int>(), "Reshape");
        var summed = b.OutputOf(b.AddOperation("UnsortedSegmentSum", [grad.Values, b.OutputOf(unique, 1), n], null, "UnsortedSegmentSum"));
        return new IndexedSlices(summed, uniqueIdx, grad.DenseShape);
    }

    /// <summary>Groups the updates (TF's <c>_finish</c>); Adam also updates its beta powers here.</summary>
    protected virtual Node Finish(GraphBuilder b, IReadOnlyList<string> updates, string name, bool exact)
        => exact ? b.AddOperationExact(name, "NoOp", [], null, updates) : b.AddOperation("NoOp", [], null, name, updates);

    /// <summary>A zero-initialised slot <c>&lt;var&gt;/&lt;Name&gt;[_k]</c>, colocated with the variable, like
    /// <c>slot_creator.create_zeros_slot</c> (not trainable; in <c>variables</c>).</summary>
    protected Variable ZerosSlot(GraphBuilder b, Variable v, string slot)
    {
        if (_slots.TryGetValue((v.Name, slot), out var existing)) return existing;
        var s = MakeSlot(b, v, new ZerosInitializer());
        _slots[(v.Name, slot)] = s;
        return s;
    }

    /// <summary>A slot <c>&lt;var&gt;/&lt;Name&gt;[_k]</c> initialised by <paramref name="init"/>: a resource variable for a
    /// resource variable (the ResourceApply ops need handles), else a ref variable colocated with it.</summary>
    protected Variable MakeSlot(GraphBuilder b, Variable v, Initializer init)
    {
        var shape = v.Shape ?? throw new ArgumentException($"Variable '{v.Name}' has no static shape; cannot create its slots.");
        return v.IsResource
            ? b.ResourceVariable(shape, init, v.Name + "/" + Name, v.DType, trainable: false)
            : b.Variable(shape, init, v.Name + "/" + Name, v.DType, trainable: false, style: VariableStyle.GetVariable, colocateWith: v.Name);
    }

    /// <summary>Assigns <paramref name="value"/> to <paramref name="v"/> (Assign, or AssignVariableOp for a resource variable).</summary>
    protected static string AssignTo(GraphBuilder b, Variable v, Output value, string name)
        => v.IsResource
            ? b.AddOperation("AssignVariableOp", [v.Ref, value], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(v.DType) }, name).Name
            : b.Assign(v, value, name).NodeName;

    /// <summary>The Apply op: the ref form for ref variables, the <c>Resource</c> form otherwise.</summary>
    protected Node Apply(GraphBuilder b, string op, Variable v, IReadOnlyList<Variable> slots, IReadOnlyList<Output> rest, params (string Name, AttrValue Value)[] extra)
    {
        var attrs = new Dictionary<string, AttrValue> { ["use_locking"] = Attrs.Bool(UseLocking) };
        if (!v.IsResource) attrs["_class"] = Attrs.Colocate(v.Name);
        foreach (var (n, val) in extra) attrs[n] = val;
        var type = v.IsResource ? "Resource" + op : op;
        var inputs = new List<Output> { v.Ref };
        inputs.AddRange(slots.Select(s => s.Ref));
        inputs.AddRange(rest);
        if (v.IsResource) attrs["T"] = Attrs.Type(v.DType);
        return b.AddOperation(type, inputs, attrs, type);
    }

    /// <summary>
    /// <paramref name="hyper"/> in <paramref name="v"/>'s dtype: TF's optimizers keep their hyper-parameters float32
    /// (<c>ops.convert_to_tensor</c> of a Python float in <c>_prepare</c>) and <c>math_ops.cast</c> them to
    /// <c>var.dtype.base_dtype</c> in every <c>_apply_dense</c>/<c>_apply_sparse</c> — a no-op (no Cast node) when the
    /// dtypes already agree — so float64 and float16 variables train too.
    /// </summary>
    protected static Output CastTo(GraphBuilder b, Output hyper, Variable v) => v.DType == hyper.BaseType ? hyper : b.Cast(hyper, v.DType);

    /// <summary>A hyper-parameter Const of <paramref name="dtype"/> in the optimizer scope.</summary>
    protected static Output Hyper(GraphBuilder b, double value, DataType dtype, string name) => b.ScalarConstant(value, dtype, name);
}
