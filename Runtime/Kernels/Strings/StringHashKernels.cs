using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// StringToHashBucketFast (<c>Fingerprint64(s) mod num_buckets</c>, string_to_hash_bucket_fast_op.h) and
/// StringToHashBucketStrong (<c>SipHash-2-4(key, s) mod num_buckets</c>, string_to_hash_bucket_op.h with
/// StrongKeyedHash): the hashed-bucket feature columns of Estimator exports. Output int64, same shape as the input.
/// </summary>
internal sealed class StringHashKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("StringToHashBucketFast", node =>
        {
            ulong buckets = Buckets(node);
            return new DelegateKernel(node, ctx => Hash(ctx, s => FarmHash.Fingerprint64(s) % buckets));
        });
        registry.Add("StringToHashBucketStrong", node =>
        {
            ulong buckets = Buckets(node);
            var key = node.GetInts("key", []);
            if (key.Length != 2) throw KernelAttrs.Err(node, $"Key must have 2 elements, got {key.Length}.");
            ulong k0 = (ulong)key[0], k1 = (ulong)key[1];
            return new DelegateKernel(node, ctx => Hash(ctx, s => SipHash.Hash(k0, k1, s) % buckets));
        });
    }

    private static ulong Buckets(Node node)
    {
        long n = node.GetInt("num_buckets");
        if (n < 1) throw KernelAttrs.Err(node, $"num_buckets must be at least 1, got {n}.");
        return (ulong)n;
    }

    private delegate ulong Hasher(ReadOnlySpan<byte> s);

    private static void Hash(OpKernelContext ctx, Hasher hash)
    {
        var input = ctx.Input(0);
        if (input.DType != DataType.DtString) throw ctx.Error($"input must be strings, got {DataTypes.Name(input.DType)}.");
        var strings = input.Strings;
        var o = ctx.AllocateOutput(0, DataType.DtInt64, input.Shape).AsSpan<long>();
        for (int i = 0; i < strings.Length; i++) o[i] = (long)hash(strings[i]);
    }
}
