using TypedGraph.Kernels;

namespace TypedGraph.Execution;

/// <summary>
/// Runs an acyclic <see cref="ExecutionPlan"/>: a straight walk over its steps, no graph lookups.
/// Dead tensors (tf.cond's untaken branch) propagate: a step with a dead data or control input is
/// skipped and its outputs are dead, except Merge, which forwards its first live input.
/// </summary>
internal static class StaticExecutor
{
    /// <summary>
    /// Profiling hook for the benchmarks' <c>-- train-profile</c>: when set on the running thread, called after each
    /// computed step with its elapsed Stopwatch ticks. Thread-static so concurrent runs on other threads are unaffected.
    /// </summary>
    [ThreadStatic] internal static Action<PlanStep, long>? StepObserver;

    /// <summary>Executes every step; values end up in <paramref name="frame"/>.</summary>
    /// <exception cref="GraphExecutionException">A kernel failed (wrapped with the node name and op).</exception>
    public static void Run(ExecutionPlan plan, RunFrame frame)
    {
        var steps = plan.Steps;
        var values = frame.Values;
        var refs = frame.Refs;
        var dead = frame.Dead;
        var observer = StepObserver; // read once per run, not per step (a thread-static access)
        for (int s = 0; s < steps.Length; s++)
        {
            var step = steps[s];
            var ctx = frame.Contexts[s];
            var inputs = ctx.InputArray;
            var refInputs = ctx.RefInputArray;
            bool isDead = false;
            int liveInputs = 0;
            var inSlots = step.InputSlots;
            for (int i = 0; i < inSlots.Length; i++)
            {
                int slot = inSlots[i];
                if (dead[slot])
                {
                    isDead = true;
                    inputs[i] = null;
                    if (refInputs != null) refInputs[i] = null;
                    continue;
                }
                liveInputs++;
                var r = refs[slot];
                // A ref is read when its consumer asks for the value (OpKernelContext.Input), so an Assign earlier in the
                // run is seen, and a kernel that takes the ref (Assign, Apply*) does not read it at all.
                inputs[i] = r != null ? null : values[slot];
                if (refInputs != null) refInputs[i] = r;
            }
            foreach (int c in step.ControlSteps)
                if (frame.StepDead[c]) isDead = true;
            if (step.IsMerge) isDead = liveInputs == 0;
            if (isDead)
            {
                frame.StepDead[s] = true;
                foreach (int o in step.OutputSlots)
                    if (o >= 0) dead[o] = true;
                ReleaseInputs(step, frame);
                continue;
            }
            ctx.ResetOutputs();
            frame.CurrentStep = s;
            long started = observer != null ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            Compute(step, ctx);
            observer?.Invoke(step, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            var outSlots = step.OutputSlots;
            for (int k = 0; k < outSlots.Length; k++)
            {
                int o = outSlots[k];
                if (o < 0) continue;
                var r = ctx.OutputRef(k);
                var v = ctx.Output(k);
                if (v == null && r == null)
                {
                    if (!step.MayLeaveOutputsUnset)
                        throw new GraphExecutionException($"{step.Node.Op} node '{step.Node.Name}' produced no output {k}.", step.Node.Name);
                    dead[o] = true;
                    continue;
                }
                values[o] = v;
                refs[o] = r;
                if (r == null) frame.Pool.AddRef(v);
            }
            ReleaseInputs(step, frame);
        }
    }

    /// <summary>Slots whose last reader was this step let go of their buffers (shared ones stay until their last holder goes).</summary>
    private static void ReleaseInputs(PlanStep step, RunFrame frame)
    {
        foreach (int slot in step.ReleaseSlots)
        {
            if (frame.Refs[slot] == null) frame.Pool.Release(frame.Values[slot]);
        }
    }

    /// <summary>Runs one kernel, turning unexpected failures into errors that name the node.</summary>
    internal static void Compute(PlanStep step, OpKernelContext ctx) => Compute(step.Kernel, ctx);

    /// <summary>Runs one kernel, turning unexpected failures into errors that name the node.</summary>
    internal static void Compute(OpKernel kernel, OpKernelContext ctx)
    {
        try
        {
            kernel.Compute(ctx);
        }
        catch (TypedGraphException)
        {
            throw;
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException or ThreadInterruptedException))
        {
            // Anything else a kernel throws (bad input it did not check, I/O in SaveV2, a bug) still names the node.
            // A parallel kernel's single failure arrives wrapped; report the real one.
            var inner = e is AggregateException { InnerExceptions.Count: 1 } ae ? ae.InnerExceptions[0] : e;
            if (inner is TypedGraphException tg) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(tg);
            var n = kernel.Node;
            throw new GraphExecutionException($"{n.Op} node '{n.Name}' failed: {inner.Message}", n.Name, inner);
        }
    }
}
