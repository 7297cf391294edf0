using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of TF1 control-flow ops, after TF's control_flow_grad.py: Switch ↔ Merge, Exit → Enter (<c>b_exit</c>),
/// Enter → Exit (a loop variable) or an accumulator loop (<c>b_acc</c>, a loop invariant), NextIteration → identity
/// (the backward NextIteration is added by the Switch gradient's second visit), LoopCond not differentiable.
/// </summary>
internal static class ControlFlowGradients
{
    public static void Register()
    {
        GradientRegistry.Register("Switch", SwitchGrad);
        GradientRegistry.Register("RefSwitch", SwitchGrad);
        GradientRegistry.Register("Merge", MergeGrad);
        GradientRegistry.Register("RefMerge", MergeGrad);
        GradientRegistry.Register("Exit", ExitGrad);
        GradientRegistry.Register("RefExit", ExitGrad);
        GradientRegistry.Register("Enter", EnterGrad);
        GradientRegistry.Register("RefEnter", EnterGrad);
        GradientRegistry.Register("NextIteration", (_, _, g) => [g[0]]);
        GradientRegistry.Register("RefNextIteration", (_, _, g) => [g[0]]);
        GradientRegistry.NotDifferentiable("LoopCond", "ControlTrigger");
    }

    private static Output?[] SwitchGrad(GradientContext ctx, Node op, Output?[] grad)
    {
        var b = ctx.Builder;
        var opCtx = b.ContextOf(op.Name);
        if (opCtx is WhileContext loop)
        {
            var state = ctx.Loops?.StateOf(loop) ?? throw new InvalidOperationException($"Loop switch '{op.Name}' has no gradient loop.");
            if (state.SwitchMap.TryGetValue(op.Name, out var mergeGrad))
            {
                // Second visit, from the body (Identity) side: close the backward loop's back edge.
                if (grad[1] is Output g1)
                {
                    var next = b.OutputOf(b.AddOperation("NextIteration", [g1]));
                    b.Graph.UpdateInput(mergeGrad, 1, next.Ref);
                }
                return [null, null];
            }
            if (grad[0] is Output g0)
            {
                // First visit, from the Exit side: Merge(b_exit, b_exit) until the back edge exists.
                var merge = b.AddOperation("Merge", [g0, g0], null, "b_switch");
                state.SwitchMap[op.Name] = merge;
                return [b.OutputOf(merge), null];
            }
            return [null, null];
        }
        if (opCtx is CondContext cond)
        {
            var live = grad[cond.Branch];
            if (grad[1 - cond.Branch] == null)
            {
                if (live is Output r && op.Inputs.Count > 0 && ctx.In(op, 0).BaseType == DataType.DtResource)
                    return [b.OutputOf(b.AddOperation("Merge", [r, r], null, "cond_resource_grad")), null];
                return [null, null];
            }
            if (live == null) return [null, null];
            return [b.OutputOf(b.AddOperation("Merge", [grad[0]!.Value, grad[1]!.Value], null, "cond_grad")), null];
        }
        // A Switch outside any context this builder knows: route each gradient back through the same predicate.
        if (grad[0] is not Output f || grad[1] is not Output t) return [null, null];
        var pred = ctx.In(op, 1);
        var falseGrad = b.OutputOf(b.AddOperation("Switch", [f, pred]), 0);
        var trueGrad = b.OutputOf(b.AddOperation("Switch", [t, pred]), 1);
        return [b.OutputOf(b.AddOperation("Merge", [falseGrad, trueGrad])), null];
    }

    private static Output?[] MergeGrad(GradientContext ctx, Node op, Output?[] grad)
    {
        var b = ctx.Builder;
        if (grad[0] is not Output g) return new Output?[op.Inputs.Count];
        var inputCtx = b.OutputContext(op.Inputs[0].NodeName);
        if (inputCtx is WhileContext)
        {
            var gradLoop = b.CurrentContext as WhileContext ?? throw new InvalidOperationException($"The gradient of loop merge '{op.Name}' must be built inside its gradient loop.");
            var sw = b.AddOperation("Switch", [g, gradLoop.Pivot]);
            return [b.OutputOf(sw, 0), b.OutputOf(sw, 1)];
        }
        if (inputCtx is CondContext cond)
        {
            // A cond inside a loop: the backward Switch needs the predicate of the matching forward iteration,
            // saved per iteration (TF's _MergeGrad pushes it in the forward loop and pops it here).
            var pred = b.CurrentContext?.EnclosingWhile?.GradState is GradLoopState state ? state.RealPredicate(cond.Pred) : cond.Pred;
            var sw = b.AddOperation("Switch", [g, pred], null, "cond_grad");
            return [b.OutputOf(sw, 0), b.OutputOf(sw, 1)];
        }
        // A Merge of unknown origin: input i gets the gradient when value_index == i.
        var result = new Output?[op.Inputs.Count];
        var valueIndex = ctx.Out(op, 1);
        for (int i = 0; i < result.Length; i++)
        {
            var isI = b.Equal(valueIndex, b.Constant(i, "Equal/y"));
            result[i] = b.OutputOf(b.AddOperation("Switch", [g, isI]), 1);
        }
        return result;
    }

    private static Output?[] ExitGrad(GradientContext ctx, Node op, Output?[] grad)
    {
        var b = ctx.Builder;
        var loop = (WhileContext)b.ContextOf(op.Name)!;
        if (!loop.BackProp || grad[0] is not Output g) return [null];
        var state = ctx.Loops!.StateOf(loop)!;
        var enter = b.OutputOf(b.AddContextNode(state.Grad, b.CurrentScope + "b_exit", "Enter", [g], new Dictionary<string, AttrValue>
        {
            ["frame_name"] = Attrs.String(state.Grad.FrameName),
            ["is_constant"] = Attrs.Bool(false),
            ["parallel_iterations"] = Attrs.Int(state.Grad.ParallelIterations),
        }));
        state.Grad.LoopEnters.Add(enter);
        return [enter];
    }

    private static Output?[] EnterGrad(GradientContext ctx, Node op, Output?[] grad)
    {
        var b = ctx.Builder;
        if (grad[0] is not Output g) return [null];
        if (b.ContextOf(op.Name) is not WhileContext loop || !loop.BackProp) return [g];
        var state = ctx.Loops?.StateOf(loop);
        if (state == null) return [g];
        if (op.GetBool("is_constant", false))
            return [SparseGradients.TryGet(b, g, out var slices) ? state.AddBackpropIndexedSlicesAccumulator(op, slices) : state.AddBackpropAccumulator(op, g)];
        var exit = b.OutputOf(b.AddOperation("Exit", [g]));
        state.Grad.LoopExits.Add(exit);
        return [exit];
    }
}
