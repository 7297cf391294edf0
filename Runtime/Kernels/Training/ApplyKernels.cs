using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// TF's training ops (<c>training_ops.cc</c>) for ref variables (<c>Apply*</c>, output = the variable ref) and
/// resource variables (<c>ResourceApply*</c>, no output): GradientDescent, Momentum (+Nesterov), Adam
/// (+Nesterov), RMSProp, Adagrad, computed in the variable's own type (float or double) as TF does. Updates are
/// copy-on-write under the variable's lock, like the executor's Assign, so values a concurrent run has read never
/// change under it.
/// </summary>
internal sealed class ApplyKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var resource in new[] { false, true })
        {
            string p = resource ? "Resource" : "";
            registry.Add(p + "ApplyGradientDescent", n => Make(n, resource, 0, -1, new GradientDescent()));
            registry.Add(p + "ApplyMomentum", n => Make(n, resource, 1, 3, new Momentum())); // grad precedes momentum
            registry.Add(p + "ApplyAdam", n => Make(n, resource, 2, -1, new Adam()));
            registry.Add(p + "ApplyRMSProp", n => Make(n, resource, 2, -1, new RmsProp()));
            registry.Add(p + "ApplyAdagrad", n => Make(n, resource, 1, -1, new Adagrad()));
        }
    }

    private static OpKernel Make(Node n, bool resource, int slots, int gradIndex, IRule rule)
        => n.GetType("T", DataType.DtFloat) == DataType.DtDouble
            ? new ApplyKernel<double>(n, resource, slots, gradIndex, rule)
            : new ApplyKernel<float>(n, resource, slots, gradIndex, rule);

    /// <summary>
    /// One optimizer's per-element update, in place on fresh copies: the variable, up to two slots, the scalar inputs
    /// in input order, the gradient. Each rule runs <see cref="Vector{T}"/>-wide and finishes the tail with the same
    /// expression on scalars; the vector and scalar forms do the same IEEE operations in the same order (no FMA
    /// contraction), so a value does not depend on where it falls.
    /// </summary>
    private interface IRule
    {
        void Apply<T>(bool flag, Span<T> v, Span<T> s0, Span<T> s1, T[] a, ReadOnlySpan<T> g) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    // var -= alpha · delta. Scalars: alpha.
    private sealed class GradientDescent : IRule
    {
        public void Apply<T>(bool flag, Span<T> v, Span<T> s0, Span<T> s1, T[] a, ReadOnlySpan<T> g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T alpha = a[0];
            var vAlpha = new Vector<T>(alpha);
            int i = 0;
            for (; i <= v.Length - Vector<T>.Count; i += Vector<T>.Count)
                (new Vector<T>(v[i..]) - vAlpha * new Vector<T>(g[i..])).CopyTo(v[i..]);
            for (; i < v.Length; i++) v[i] -= alpha * g[i];
        }
    }

    // accum = accum · momentum + grad; var -= lr · accum (Nesterov: var -= grad · lr + accum · momentum · lr). Scalars: lr, momentum.
    private sealed class Momentum : IRule
    {
        public void Apply<T>(bool nesterov, Span<T> v, Span<T> acc, Span<T> s1, T[] a, ReadOnlySpan<T> g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T lr = a[0], momentum = a[1];
            Vector<T> vLr = new(lr), vMomentum = new(momentum);
            int i = 0;
            for (; i <= v.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var gi = new Vector<T>(g[i..]);
                var ai = new Vector<T>(acc[i..]) * vMomentum + gi;
                ai.CopyTo(acc[i..]);
                (new Vector<T>(v[i..]) - (nesterov ? gi * vLr + ai * vMomentum * vLr : vLr * ai)).CopyTo(v[i..]);
            }
            for (; i < v.Length; i++)
            {
                acc[i] = acc[i] * momentum + g[i];
                v[i] -= nesterov ? g[i] * lr + acc[i] * momentum * lr : lr * acc[i];
            }
        }
    }

    // lr_t = lr · √(1 − β2^t) / (1 − β1^t); m += (g − m)(1 − β1); v += (g² − v)(1 − β2); var -= lr_t · m / (√v + ε)
    // (Nesterov: m replaced by m · β1 + (1 − β1) · g). Scalars: beta1_power, beta2_power, lr, beta1, beta2, epsilon.
    // TF's ApplyAdamNonCuda (training_ops.cc) computes the same expressions in this order.
    private sealed class Adam : IRule
    {
        public void Apply<T>(bool nesterov, Span<T> v, Span<T> m, Span<T> vv, T[] a, ReadOnlySpan<T> g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T one = T.One, b1p = a[0], b2p = a[1], lr = a[2], b1 = a[3], b2 = a[4], eps = a[5];
            T lrT = lr * T.Sqrt(one - b2p) / (one - b1p);
            Vector<T> vLrT = new(lrT), vB1 = new(b1), vOneMinusB1 = new(one - b1), vOneMinusB2 = new(one - b2), vEps = new(eps);
            int i = 0;
            for (; i <= v.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var gi = new Vector<T>(g[i..]);
                var mi = new Vector<T>(m[i..]);
                mi += (gi - mi) * vOneMinusB1;
                var vi = new Vector<T>(vv[i..]);
                vi += (gi * gi - vi) * vOneMinusB2;
                mi.CopyTo(m[i..]);
                vi.CopyTo(vv[i..]);
                var mm = nesterov ? mi * vB1 + vOneMinusB1 * gi : mi;
                (new Vector<T>(v[i..]) - vLrT * mm / (Vector.SquareRoot(vi) + vEps)).CopyTo(v[i..]);
            }
            for (; i < v.Length; i++)
            {
                m[i] += (g[i] - m[i]) * (one - b1);
                vv[i] += (g[i] * g[i] - vv[i]) * (one - b2);
                T mm = nesterov ? m[i] * b1 + (one - b1) * g[i] : m[i];
                v[i] -= lrT * mm / (T.Sqrt(vv[i]) + eps);
            }
        }
    }

    // ms += (g² − ms)(1 − rho); mom = mom · momentum + lr · g / √(ms + ε); var -= mom. Scalars: lr, rho, momentum, epsilon.
    private sealed class RmsProp : IRule
    {
        public void Apply<T>(bool flag, Span<T> v, Span<T> ms, Span<T> mom, T[] a, ReadOnlySpan<T> g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T lr = a[0], rho = a[1], momentum = a[2], eps = a[3];
            Vector<T> vLr = new(lr), vOneMinusRho = new(T.One - rho), vMomentum = new(momentum), vEps = new(eps);
            int i = 0;
            for (; i <= v.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var gi = new Vector<T>(g[i..]);
                var msi = new Vector<T>(ms[i..]);
                msi += (gi * gi - msi) * vOneMinusRho;
                var momi = new Vector<T>(mom[i..]) * vMomentum + vLr * gi / Vector.SquareRoot(msi + vEps);
                msi.CopyTo(ms[i..]);
                momi.CopyTo(mom[i..]);
                (new Vector<T>(v[i..]) - momi).CopyTo(v[i..]);
            }
            for (; i < v.Length; i++)
            {
                ms[i] += (g[i] * g[i] - ms[i]) * (T.One - rho);
                mom[i] = mom[i] * momentum + lr * g[i] / T.Sqrt(ms[i] + eps);
                v[i] -= mom[i];
            }
        }
    }

    // accum += g² (when update_slots); var -= lr · g / √accum. Scalars: lr.
    private sealed class Adagrad : IRule
    {
        public void Apply<T>(bool updateSlots, Span<T> v, Span<T> acc, Span<T> s1, T[] a, ReadOnlySpan<T> g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T lr = a[0];
            var vLr = new Vector<T>(lr);
            int i = 0;
            for (; i <= v.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var gi = new Vector<T>(g[i..]);
                var ai = new Vector<T>(acc[i..]);
                if (updateSlots) { ai += gi * gi; ai.CopyTo(acc[i..]); }
                (new Vector<T>(v[i..]) - vLr * gi / Vector.SquareRoot(ai)).CopyTo(v[i..]);
            }
            for (; i < v.Length; i++)
            {
                if (updateSlots) acc[i] += g[i] * g[i];
                v[i] -= lr * g[i] / T.Sqrt(acc[i]);
            }
        }
    }

    private sealed class ApplyKernel<T>(Node node, bool resource, int slotCount, int gradIndex, IRule rule) : DenseApplyKernel<T>(node, resource, slotCount, gradIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The op's boolean option (use_nesterov, or update_slots for Adagrad), read once.
        private readonly bool _flag = node.Op.EndsWith("Adagrad", StringComparison.Ordinal) ? node.GetBool("update_slots", true) : node.GetBool("use_nesterov", false);

        protected override void Apply(Tensor[] work, T[] scalars, ReadOnlySpan<T> grad)
            => rule.Apply(_flag, work[0].AsSpan<T>(), work.Length > 1 ? work[1].AsSpan<T>() : default,
                work.Length > 2 ? work[2].AsSpan<T>() : default, scalars, grad);

        // Every rule here updates element i from element i alone, with the same operations in the vector body and the tail.
        protected override bool ElementwiseRanges => true;

        protected override void ApplyRange(Tensor[] work, T[] scalars, ReadOnlySpan<T> grad, int start, int length)
            => rule.Apply(_flag, work[0].AsSpan<T>().Slice(start, length), work.Length > 1 ? work[1].AsSpan<T>().Slice(start, length) : default,
                work.Length > 2 ? work[2].AsSpan<T>().Slice(start, length) : default, scalars, grad.Slice(start, length));
    }
}
