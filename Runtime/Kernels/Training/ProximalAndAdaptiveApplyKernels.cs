using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// The remaining dense training ops of TF's <c>core/kernels/training_ops.cc</c>, ref (<c>Apply*</c>, output = the
/// variable ref) and resource (<c>ResourceApply*</c>) forms: Adadelta, ProximalGradientDescent, ProximalAdagrad, Ftrl and
/// FtrlV2 (with <c>multiply_linear_by_lr</c>), CenteredRMSProp, AdaMax, AdamWithAmsgrad (resource only, as TF),
/// KerasMomentum (resource only, as TF), PowerSign, AddSign. Each rule is the CPU functor's expression
/// (<c>functor::ApplyX&lt;CPUDevice, T&gt;</c>) element by element, in the variable's type (float or double). Updates are
/// copy-on-write under the variables' locks taken in input order, as <see cref="ApplyKernels"/> does.
/// </summary>
internal sealed class ProximalAndAdaptiveApplyKernels : KernelSet
{
    private enum Rule { Adadelta, ProximalGradientDescent, ProximalAdagrad, Ftrl, FtrlV2, CenteredRmsProp, AdaMax, AdamWithAmsgrad, KerasMomentum, PowerSign, AddSign }

    // Op name, rule, slot count after var, gradient input index (-1 = last), whether a ref form exists in TF.
    private static readonly (string Name, Rule Rule, int Slots, int Grad, bool RefForm)[] Ops =
    [
        ("ApplyAdadelta", Rule.Adadelta, 2, -1, true),
        ("ApplyProximalGradientDescent", Rule.ProximalGradientDescent, 0, -1, true),
        ("ApplyProximalAdagrad", Rule.ProximalAdagrad, 1, -1, true),
        ("ApplyFtrl", Rule.Ftrl, 2, 3, true),
        ("ApplyFtrlV2", Rule.FtrlV2, 2, 3, true),
        ("ApplyCenteredRMSProp", Rule.CenteredRmsProp, 3, -1, true),
        ("ApplyAdaMax", Rule.AdaMax, 2, -1, true),
        ("ApplyAdamWithAmsgrad", Rule.AdamWithAmsgrad, 3, -1, false),
        ("ApplyKerasMomentum", Rule.KerasMomentum, 1, 3, false),
        ("ApplyPowerSign", Rule.PowerSign, 1, -1, true),
        ("ApplyAddSign", Rule.AddSign, 1, -1, true),
    ];

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var (name, rule, slots, grad, refForm) in Ops)
        {
            registry.Add("Resource" + name, n => Make(n, true, rule, slots, grad));
            if (refForm) registry.Add(name, n => Make(n, false, rule, slots, grad));
        }
    }

    private static OpKernel Make(Node n, bool resource, Rule rule, int slots, int grad)
        => n.GetType("T", DataType.DtFloat) == DataType.DtDouble
            ? new Kernel<double>(n, resource, rule, slots, grad)
            : new Kernel<float>(n, resource, rule, slots, grad);

    private sealed class Kernel<T>(Node node, bool resource, Rule rule, int slotCount, int gradIndex) : DenseApplyKernel<T>(node, resource, slotCount, gradIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly bool _nesterov = node.GetBool("use_nesterov", false);
        private readonly bool _multiplyLinearByLr = node.GetBool("multiply_linear_by_lr", false);

        protected override void Apply(Tensor[] w, T[] a, ReadOnlySpan<T> g)
        {
            var v = w[0].AsSpan<T>();
            T one = T.One, two = one + one, zero = T.Zero;
            switch (rule)
            {
                case Rule.Adadelta:
                {
                    // accum = accum·ρ + g²(1 − ρ); update = √(accum_update + ε)·rsqrt(accum + ε)·g; var −= update·lr;
                    // accum_update = accum_update·ρ + update²(1 − ρ). Scalars: lr, rho, epsilon.
                    var acc = w[1].AsSpan<T>();
                    var accUpdate = w[2].AsSpan<T>();
                    T lr = a[0], rho = a[1], eps = a[2];
                    for (int i = 0; i < v.Length; i++)
                    {
                        acc[i] = acc[i] * rho + g[i] * g[i] * (one - rho);
                        T update = T.Sqrt(accUpdate[i] + eps) * (one / T.Sqrt(acc[i] + eps)) * g[i];
                        v[i] -= update * lr;
                        accUpdate[i] = accUpdate[i] * rho + update * update * (one - rho);
                    }
                    break;
                }
                case Rule.ProximalGradientDescent:
                {
                    // prox = var − g·α; l1 > 0: var = sign(prox)·max(|prox| − α·l1, 0)/(1 + l2·α); else prox/(1 + l2·α).
                    // Scalars: alpha, l1, l2.
                    T alpha = a[0], l1 = a[1], l2 = a[2];
                    for (int i = 0; i < v.Length; i++)
                    {
                        T prox = v[i] - g[i] * alpha;
                        v[i] = l1 > zero ? Sign(prox) * T.Max(T.Abs(prox) - alpha * l1, zero) / (one + l2 * alpha) : prox / (one + l2 * alpha);
                    }
                    break;
                }
                case Rule.ProximalAdagrad:
                {
                    // accum += g²; η = lr·rsqrt(accum); prox = var − g·η; then as ProximalGradientDescent with η. Scalars: lr, l1, l2.
                    var acc = w[1].AsSpan<T>();
                    T lr = a[0], l1 = a[1], l2 = a[2];
                    for (int i = 0; i < v.Length; i++)
                    {
                        acc[i] += g[i] * g[i];
                        T eta = lr * (one / T.Sqrt(acc[i]));
                        T prox = v[i] - g[i] * eta;
                        v[i] = l1 > zero ? Sign(prox) * T.Max(T.Abs(prox) - eta * l1, zero) / (one + l2 * eta) : prox / (one + l2 * eta);
                    }
                    break;
                }
                case Rule.Ftrl:
                case Rule.FtrlV2:
                {
                    // ApplyFtrl(V2)(MultiplyLinearByLr): Scalars lr, l1, l2, [l2_shrinkage,] lr_power.
                    var acc = w[1].AsSpan<T>();
                    var linear = w[2].AsSpan<T>();
                    T lr = a[0], l1 = a[1], l2 = a[2];
                    T shrinkage = rule == Rule.FtrlV2 ? a[3] : zero;
                    T power = rule == Rule.FtrlV2 ? a[4] : a[3];
                    bool sqrtCase = power == T.CreateChecked(-0.5);
                    for (int i = 0; i < v.Length; i++)
                    {
                        T gs = rule == Rule.FtrlV2 ? g[i] + two * shrinkage * v[i] : g[i];
                        T newAcc = acc[i] + g[i] * g[i];
                        T sigma = sqrtCase ? T.Sqrt(newAcc) - T.Sqrt(acc[i]) : T.Pow(newAcc, -power) - T.Pow(acc[i], -power);
                        T y;
                        T l1Eff;
                        if (_multiplyLinearByLr)
                        {
                            linear[i] += gs * lr - sigma * v[i];
                            l1Eff = l1 * lr;
                            y = (sqrtCase ? T.Sqrt(newAcc) : T.Pow(newAcc, -power)) + two * l2 * lr;
                        }
                        else
                        {
                            linear[i] += gs - sigma / lr * v[i];
                            l1Eff = l1;
                            y = (sqrtCase ? T.Sqrt(newAcc) : T.Pow(newAcc, -power)) / lr + two * l2;
                        }
                        T x = l1Eff * Sign(linear[i]) - linear[i];
                        v[i] = T.Abs(linear[i]) > l1Eff ? x / y : zero;
                        acc[i] += g[i] * g[i];
                    }
                    break;
                }
                case Rule.CenteredRmsProp:
                {
                    // ms += (g² − ms)(1 − ρ); mg += (g − mg)(1 − ρ); denom = ms − mg² + ε;
                    // mom = mom·momentum + g·lr/√denom; var −= mom. Scalars: lr, rho, momentum, epsilon.
                    var mg = w[1].AsSpan<T>();
                    var ms = w[2].AsSpan<T>();
                    var mom = w[3].AsSpan<T>();
                    T lr = a[0], rho = a[1], momentum = a[2], eps = a[3];
                    for (int i = 0; i < v.Length; i++)
                    {
                        ms[i] += (g[i] * g[i] - ms[i]) * (one - rho);
                        mg[i] += (g[i] - mg[i]) * (one - rho);
                        T denom = ms[i] - mg[i] * mg[i] + eps;
                        mom[i] = mom[i] * momentum + g[i] * lr / T.Sqrt(denom);
                        v[i] -= mom[i];
                    }
                    break;
                }
                case Rule.AdaMax:
                {
                    // m += (g − m)(1 − β1); v = max(β2·v, |g|); var −= lr/(1 − β1^t)·(m/(v + ε)).
                    // Scalars: beta1_power, lr, beta1, beta2, epsilon.
                    var m = w[1].AsSpan<T>();
                    var u = w[2].AsSpan<T>();
                    T b1p = a[0], lr = a[1], b1 = a[2], b2 = a[3], eps = a[4];
                    for (int i = 0; i < v.Length; i++)
                    {
                        m[i] += (g[i] - m[i]) * (one - b1);
                        u[i] = T.Max(b2 * u[i], T.Abs(g[i]));
                        v[i] -= lr / (one - b1p) * (m[i] / (u[i] + eps));
                    }
                    break;
                }
                case Rule.AdamWithAmsgrad:
                {
                    // α = lr·√(1 − β2^t)/(1 − β1^t); m += (g − m)(1 − β1); v += (g² − v)(1 − β2); v̂ = max(v̂, v);
                    // var −= α·m/(√v̂ + ε). Scalars: beta1_power, beta2_power, lr, beta1, beta2, epsilon.
                    var m = w[1].AsSpan<T>();
                    var vv = w[2].AsSpan<T>();
                    var vhat = w[3].AsSpan<T>();
                    T b1p = a[0], b2p = a[1], lr = a[2], b1 = a[3], b2 = a[4], eps = a[5];
                    T alpha = lr * T.Sqrt(one - b2p) / (one - b1p);
                    for (int i = 0; i < v.Length; i++)
                    {
                        m[i] += (g[i] - m[i]) * (one - b1);
                        vv[i] += (g[i] * g[i] - vv[i]) * (one - b2);
                        vhat[i] = T.Max(vhat[i], vv[i]);
                        v[i] -= alpha * m[i] / (T.Sqrt(vhat[i]) + eps);
                    }
                    break;
                }
                case Rule.KerasMomentum:
                {
                    // accum = accum·momentum − g·lr; var += accum (Nesterov: var += accum·momentum − g·lr). Scalars: lr, momentum.
                    var acc = w[1].AsSpan<T>();
                    T lr = a[0], momentum = a[1];
                    for (int i = 0; i < v.Length; i++)
                    {
                        acc[i] = acc[i] * momentum - g[i] * lr;
                        v[i] += _nesterov ? acc[i] * momentum - g[i] * lr : acc[i];
                    }
                    break;
                }
                case Rule.PowerSign:
                case Rule.AddSign:
                {
                    // m = m·β + g(1 − β); s = sign(g)·sign(m); PowerSign: var −= lr·exp(logbase·sign_decay·s)·g;
                    // AddSign: var −= lr·(alpha + sign_decay·s)·g. Scalars: lr, logbase|alpha, sign_decay, beta.
                    var m = w[1].AsSpan<T>();
                    T lr = a[0], baseOrAlpha = a[1], decay = a[2], beta = a[3];
                    for (int i = 0; i < v.Length; i++)
                    {
                        m[i] = m[i] * beta + g[i] * (one - beta);
                        T s = Sign(g[i]) * Sign(m[i]);
                        v[i] -= rule == Rule.PowerSign ? lr * T.Exp(baseOrAlpha * decay * s) * g[i] : lr * (baseOrAlpha + decay * s) * g[i];
                    }
                    break;
                }
            }
        }

        // Eigen's sign: −1, 0 or 1 (0 for ±0; NaN stays NaN).
        private static T Sign(T x) => T.IsNaN(x) ? x : x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;
    }
}
