using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sequence;

/// <summary>
/// TF's per-run stacks (<c>StackV2</c>, <c>StackPushV2</c>, <c>StackPopV2</c>, <c>StackCloseV2</c>; TF's
/// <c>core/kernels/stack.cc</c>). <c>tf.gradients</c> of a TF1 while loop pushes each forward value it needs in
/// the forward loop and pops them in reverse in the gradient loop. The handle is a DT_RESOURCE scalar whose
/// <see cref="Tensor.Handle"/> is the stack; every execution of <c>StackV2</c> makes a new one. The v1
/// <c>Stack</c> ops use string handles in TF's per-step resource manager and are not registered.
/// </summary>
internal sealed class StackKernels : KernelSet
{
    private static long s_counter;

    /// <summary>One stack: its elements, a bound (negative max_size = unbounded, as TF), closed after StackCloseV2.</summary>
    internal sealed class Stack(string name, DataType elemType, int maxSize)
    {
        private readonly List<Tensor> _items = [];
        private bool _closed;

        public DataType ElemType { get; } = elemType;

        public void Push(OpKernelContext ctx, Tensor value)
        {
            lock (_items)
            {
                ThrowIfClosed(ctx);
                if (maxSize >= 0 && _items.Count >= maxSize) throw ctx.Error($"Stack[{name}] overflowed its max_size ({maxSize})");
                _items.Add(value);
            }
        }

        public Tensor Pop(OpKernelContext ctx)
        {
            lock (_items)
            {
                ThrowIfClosed(ctx);
                if (_items.Count == 0) throw ctx.Error($"Stack[{name}] is empty when calling Pop().");
                var v = _items[^1];
                _items.RemoveAt(_items.Count - 1);
                return v;
            }
        }

        public void Close()
        {
            lock (_items)
            {
                _items.Clear();
                _closed = true;
            }
        }

        private void ThrowIfClosed(OpKernelContext ctx)
        {
            if (_closed) throw ctx.Error($"Stack[{name}] has already been closed.");
        }
    }

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("StackV2", node =>
        {
            var elemType = node.GetType("elem_type");
            var baseName = node.GetString("stack_name", "");
            if (baseName.Length == 0) baseName = node.Name;
            return new DelegateKernel(node, ctx =>
            {
                var sizeT = ctx.Input(0);
                if (sizeT.Shape.Rank != 0 || sizeT.DType != DataType.DtInt32)
                    throw ctx.Error($"Stack size must be an int32 scalar, but had {DataTypes.Name(sizeT.DType)} shape: {sizeT.Shape}");
                var name = baseName + "_" + Interlocked.Increment(ref s_counter).ToString(System.Globalization.CultureInfo.InvariantCulture);
                ctx.SetOutput(0, Tensor.FromHandle(DataType.DtResource, new Stack(name, elemType, sizeT.Scalar<int>())));
            });
        });
        registry.Add("StackPushV2", node => new DelegateKernel(node, ctx =>
        {
            var stack = StackOf(ctx);
            var value = ctx.Input(1);
            if (value.DType != stack.ElemType)
                throw ctx.Error($"Must have type {DataTypes.Name(stack.ElemType)} but got {DataTypes.Name(value.DType)}");
            stack.Push(ctx, TensorArrayKernels.Keep(ctx, value));
            ctx.SetOutput(0, value);
        }));
        registry.Add("StackPopV2", node =>
        {
            var elemType = node.GetType("elem_type");
            return new DelegateKernel(node, ctx =>
            {
                var stack = StackOf(ctx);
                if (stack.ElemType != elemType)
                    throw ctx.Error($"pops {DataTypes.Name(elemType)} from a stack of {DataTypes.Name(stack.ElemType)}.");
                var value = stack.Pop(ctx);
                // The push held a pooled value; the executor now counts its consumers and frees it after them.
                ctx.Holds?.Unhold(value);
                ctx.SetOutput(0, value);
            });
        });
        registry.Add("StackCloseV2", node => new DelegateKernel(node, ctx => StackOf(ctx).Close()));
    }

    private static Stack StackOf(OpKernelContext ctx)
    {
        var t = ctx.Input(0);
        if (t.DType == DataType.DtResource && t.Handle is Stack s) return s;
        throw ctx.Error($"input 0 ('{ctx.Node.Inputs[0]}') is not a stack handle (got a {DataTypes.Name(t.DType)} tensor).");
    }
}
