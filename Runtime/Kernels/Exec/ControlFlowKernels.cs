using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// TF1 control-flow primitives. The kernels only move values; frames, iterations and dead-tensor
/// propagation are the executor's job (an output left unset by Switch is dead; Merge sees dead inputs as null).
/// </summary>
internal sealed class ControlFlowKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add(["Switch", "RefSwitch"], node => new DelegateKernel(node, ctx =>
        {
            var pred = ctx.Input(1);
            if (pred.DType != DataType.DtBool || pred.NumElements != 1)
                throw ctx.Error($"pred must be a bool scalar, got {DataTypes.Name(pred.DType)}{pred.Shape}.");
            int port = pred.AsSpan<bool>()[0] ? 1 : 0; // output 0 = false branch, 1 = true branch
            Forward(ctx, 0, port);
        }));
        registry.Add(["Merge", "RefMerge"], node => new DelegateKernel(node, ctx =>
        {
            for (int i = 0; i < ctx.InputCount; i++)
            {
                if (ctx.TryInput(i) == null && !ctx.IsRefInput(i)) continue;
                Forward(ctx, i, 0);
                ctx.AllocateOutput(1, DataType.DtInt32, TensorShape.Scalar).AsSpan<int>()[0] = i;
                return;
            }
            throw ctx.Error("all inputs are dead.");
        }));
        registry.Add(["Enter", "RefEnter", "Exit", "RefExit", "NextIteration", "RefNextIteration"],
            node => new DelegateKernel(node, ctx => Forward(ctx, 0, 0)));
        registry.Add("LoopCond", node => new DelegateKernel(node, ctx =>
        {
            var p = ctx.Input(0);
            if (p.DType != DataType.DtBool || p.NumElements != 1) throw ctx.Error($"input must be a bool scalar, got {DataTypes.Name(p.DType)}{p.Shape}.");
            ctx.SetOutput(0, p);
        }));
        registry.Add("ControlTrigger", node => new DelegateKernel(node, _ => { }));
    }

    /// <summary>Passes input <paramref name="input"/> to output <paramref name="output"/>, keeping a ref a ref.</summary>
    private static void Forward(OpKernelContext ctx, int input, int output)
    {
        if (ctx.IsRefInput(input)) ctx.SetOutputRef(output, ctx.InputRef(input));
        else ctx.SetOutput(output, ctx.Input(input));
    }
}
