using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// TF's training ops (<c>training_ops.cc</c>) for ref variables (<c>Apply*</c>, output = the variable ref) and
/// resource variables (<c>ResourceApply*</c>, no output): GradientDescent, Momentum (+Nesterov), Adam
/// (+Nesterov), RMSProp, Adagrad. float and double. Updates are copy-on-write under the variable's lock, like
/// the executor's Assign, so values a concurrent run has read never change under it. Scalars (lr, beta…) are
/// read as the variable's dtype.
/// </summary>
public sealed class ApplyKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var resource in new[] { false, true })
        {
            string p = resource ? "Resource" : "";
            registry.Add(p + "ApplyGradientDescent", n => new ApplyKernel(n, resource, 0, -1, GradientDescent));
            registry.Add(p + "ApplyMomentum", n => new ApplyKernel(n, resource, 1, 3, Momentum)); // grad precedes momentum
            registry.Add(p + "ApplyAdam", n => new ApplyKernel(n, resource, 2, -1, Adam));
            registry.Add(p + "ApplyRMSProp", n => new ApplyKernel(n, resource, 2, -1, RmsProp));
            registry.Add(p + "ApplyAdagrad", n => new ApplyKernel(n, resource, 1, -1, Adagrad));
        }
    }

    /// <summary>One update: variable and slot values (mutable copies), then the scalar/grad inputs.</summary>
    // flag: the op's boolean option (use_nesterov, or update_slots for Adagrad), read once per kernel.
    private delegate void Update(bool flag, double[] var, double[][] slots, double[] scalars, double[] grad, int i);

    // var -= alpha * delta. Inputs: var, alpha, delta.
    private static void GradientDescent(bool flag, double[] v, double[][] s, double[] a, double[] g, int i) => v[i] -= a[0] * g[i];

    // accum = accum * momentum + grad; var -= lr * accum (Nesterov: var -= lr * grad + lr * momentum * accum).
    // Inputs: var, accum, lr, grad, momentum.
    private static void Momentum(bool flag, double[] v, double[][] s, double[] a, double[] g, int i)
    {
        double lr = a[0], momentum = a[1];
        s[0][i] = s[0][i] * momentum + g[i];
        v[i] -= flag ? g[i] * lr + s[0][i] * momentum * lr : lr * s[0][i];
    }

    // lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m += (g - m)(1 - beta1); v += (g² - v)(1 - beta2);
    // var -= lr_t * m / (sqrt(v) + eps) (Nesterov: m replaced by m * beta1 + (1 - beta1) * g).
    // Inputs: var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad.
    private static void Adam(bool flag, double[] v, double[][] s, double[] a, double[] g, int i)
    {
        double b1p = a[0], b2p = a[1], lr = a[2], b1 = a[3], b2 = a[4], eps = a[5];
        double lrT = lr * Math.Sqrt(1 - b2p) / (1 - b1p);
        s[0][i] += (g[i] - s[0][i]) * (1 - b1);
        s[1][i] += (g[i] * g[i] - s[1][i]) * (1 - b2);
        double m = flag ? s[0][i] * b1 + (1 - b1) * g[i] : s[0][i];
        v[i] -= lrT * m / (Math.Sqrt(s[1][i]) + eps);
    }

    // ms += (g² - ms)(1 - rho); mom = mom * momentum + lr * g / sqrt(ms + eps); var -= mom.
    // Inputs: var, ms, mom, lr, rho, momentum, epsilon, grad.
    private static void RmsProp(bool flag, double[] v, double[][] s, double[] a, double[] g, int i)
    {
        double lr = a[0], rho = a[1], momentum = a[2], eps = a[3];
        s[0][i] += (g[i] * g[i] - s[0][i]) * (1 - rho);
        s[1][i] = s[1][i] * momentum + lr * g[i] / Math.Sqrt(s[0][i] + eps);
        v[i] -= s[1][i];
    }

    // accum += g² (when update_slots); var -= lr * g / sqrt(accum). Inputs: var, accum, lr, grad.
    private static void Adagrad(bool flag, double[] v, double[][] s, double[] a, double[] g, int i)
    {
        if (flag) s[0][i] += g[i] * g[i];
        v[i] -= a[0] * g[i] / Math.Sqrt(s[0][i]);
    }

    // gradIndex: input index of the gradient; -1 = last (every op but ApplyMomentum).
    private sealed class ApplyKernel(Node node, bool resource, int slotCount, int gradIndex, Update update) : OpKernel(node)
    {
        private readonly bool _flag = node.Op.EndsWith("Adagrad", StringComparison.Ordinal) ? node.GetBool("update_slots", true) : node.GetBool("use_nesterov", false);

        public override void Compute(OpKernelContext context)
        {
            var slots = new VariableSlot[1 + slotCount];
            for (int k = 0; k < slots.Length; k++) slots[k] = resource ? ResourceHandles.Variable(context, k) : context.InputRef(k);
            int gi = gradIndex < 0 ? context.InputCount - 1 : gradIndex;
            var grad = context.Input(gi);
            var scalarInputs = Enumerable.Range(slots.Length, context.InputCount - slots.Length).Where(i => i != gi).ToArray();
            int scalarCount = scalarInputs.Length;
            // Take the locks in input order (TF's MutexLock order), so two apply ops never deadlock on each other.
            var taken = new List<object>();
            try
            {
                foreach (var s in slots)
                    if (!taken.Contains(s.SyncRoot)) { Monitor.Enter(s.SyncRoot); taken.Add(s.SyncRoot); }
                var values = slots.Select(s => s.GetValue(Node.Name)).ToArray();
                var dtype = values[0].DType;
                foreach (var (v, k) in values.Select((v, k) => (v, k)))
                    if (v.Shape != values[0].Shape || v.DType != dtype)
                        throw Error($"'{slots[k].Name}' is {DataTypes.Name(v.DType)}{v.Shape} but the variable is {DataTypes.Name(dtype)}{values[0].Shape}.");
                if (grad.Shape != values[0].Shape)
                    throw Error($"grad has shape {grad.Shape} but variable '{slots[0].Name}' has shape {values[0].Shape}.");
                var scalars = new double[scalarCount];
                for (int k = 0; k < scalarCount; k++)
                {
                    var t = context.Input(scalarInputs[k]);
                    if (t.NumElements != 1) throw Error($"input {scalarInputs[k]} ('{Node.Inputs[scalarInputs[k]]}') must be a scalar, got shape {t.Shape}.");
                    scalars[k] = ToDouble(t);
                }
                var work = values.Select(ToDoubles).ToArray();
                var g = ToDoubles(grad);
                var slotArrays = work[1..];
                for (int i = 0; i < g.Length; i++) update(_flag, work[0], slotArrays, scalars, g, i);
                for (int k = 0; k < slots.Length; k++) slots[k].Value = FromDoubles(work[k], dtype, values[k].Shape);
            }
            finally
            {
                foreach (var o in taken) Monitor.Exit(o);
            }
            if (!resource) context.SetOutputRef(0, slots[0]);
        }

        private double ToDouble(Tensor t) => t.DType switch
        {
            DataType.DtFloat => t.AsSpan<float>()[0],
            DataType.DtDouble => t.AsSpan<double>()[0],
            _ => throw KernelAttrs.BadType(Node, t.DType),
        };

        private double[] ToDoubles(Tensor t) => t.DType switch
        {
            DataType.DtFloat => Array.ConvertAll(t.ToArray<float>(), x => (double)x),
            DataType.DtDouble => t.ToArray<double>(),
            _ => throw KernelAttrs.BadType(Node, t.DType),
        };

        private static Tensor FromDoubles(double[] d, DataType dtype, TensorShape shape)
            => dtype == DataType.DtFloat ? Tensor.Create(Array.ConvertAll(d, x => (float)x), shape.ToArray()) : Tensor.Create(d, shape.ToArray());
    }
}
