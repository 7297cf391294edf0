using TypedGraph.Kernels;

namespace TypedGraph.Execution;

public sealed partial class Session
{
    /// <inheritdoc/>
    IGraphCall IGraphRunner.PrepareCall(string[] fetches, string[] feedNames, string[] targets)
        => new FunctionCall(this, GetPlan(fetches, feedNames, targets), feedNames);

    /// <summary>
    /// A function body's prepared request (one per <c>FunctionRunner</c>): feeds bound by position, results written
    /// into the caller's span. Results are owned as in <c>Session.Run</c>
    /// — pooled buffers detached, constants and variable values copied — except an arg returned as is (the calling
    /// kernel already holds it, and a While body passing its loop invariants through must not copy them every
    /// iteration) and handle tensors (a TensorList or resource handle is an immutable value).
    /// </summary>
    private sealed class FunctionCall : IGraphCall
    {
        private readonly Session _session;
        private readonly ExecutionPlan _plan;
        private readonly int[] _bindingOfArg;

        public FunctionCall(Session session, ExecutionPlan plan, string[] feedNames)
        {
            _session = session;
            _plan = plan;
            _bindingOfArg = new int[feedNames.Length];
            for (int i = 0; i < feedNames.Length; i++)
                _bindingOfArg[i] = Array.FindIndex(plan.Feeds, b => b.Name == feedNames[i]);
        }

        public void Run(ReadOnlySpan<Tensor> args, Span<Tensor> results)
        {
            var plan = _plan;
            var frame = Execute(args);
            try
            {
                for (int j = 0; j < plan.FetchSlots.Length; j++)
                {
                    var v = FetchedValue(plan, frame, j);
                    // Handle tensors (resources, TensorList variants) are immutable values: never copied.
                    bool keep = IsArg(v, args) || v.DType is Protos.DataType.DtResource or Protos.DataType.DtVariant;
                    results[j] = keep ? v : TakeOwnership(frame, v, results[..j]);
                }
            }
            finally
            {
                frame.Clear();
                plan.ReturnFrame(frame);
            }
        }

        public void Run(ReadOnlySpan<Tensor> args, Span<Tensor> results, Kernels.Exec.LoopVarBuffers buffers)
        {
            var plan = _plan;
            var frame = Execute(args);
            try
            {
                for (int j = 0; j < plan.FetchSlots.Length; j++)
                    results[j] = FetchedValue(plan, frame, j);
                buffers.Adopt(args, results[..plan.FetchSlots.Length]); // copies out before the frame's buffers go back
            }
            finally
            {
                frame.Clear();
                plan.ReturnFrame(frame);
            }
        }

        public TResult RunAndRead<TResult>(ReadOnlySpan<Tensor> args, Func<Tensor, TResult> read)
        {
            var plan = _plan;
            if (plan.FetchSlots.Length != 1) throw new InvalidOperationException($"RunAndRead needs exactly one fetch, the request has {plan.FetchSlots.Length}.");
            var frame = Execute(args);
            try
            {
                return read(FetchedValue(plan, frame, 0));
            }
            finally
            {
                frame.Clear();
                plan.ReturnFrame(frame);
            }
        }

        /// <summary>Binds the args and runs the plan; the caller reads the fetches and returns the frame.</summary>
        private RunFrame Execute(ReadOnlySpan<Tensor> args)
        {
            if (args.Length != _bindingOfArg.Length)
                throw new ArgumentException($"Expected {_bindingOfArg.Length} args, got {args.Length}.", nameof(args));
            ObjectDisposedException.ThrowIf(_session._disposed, _session);
            var plan = _plan;
            var frame = plan.RentFrame(_session.State);
            try
            {
                for (int i = 0; i < args.Length; i++)
                    if (_bindingOfArg[i] >= 0) BindFeed(plan.Feeds[_bindingOfArg[i]], frame, args[i]);
                if (plan.Loop != null) plan.Loop.Run(plan, frame);
                else StaticExecutor.Run(plan, frame);
                return frame;
            }
            catch
            {
                frame.Clear();
                plan.ReturnFrame(frame);
                throw;
            }
        }

        private static bool IsArg(Tensor v, ReadOnlySpan<Tensor> args)
        {
            foreach (var a in args)
                if (ReferenceEquals(a, v)) return true;
            return false;
        }
    }
}
