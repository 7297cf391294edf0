extern alias gen;
using TypedGraph.Kernels;
using SupportedOps = gen::TypedGraph.Generator.SupportedOps;

namespace TypedGraph.Generator.Tests;

/// <summary>The generator's embedded op list is the runtime registry's, so TG0002 can never drift.</summary>
public class SupportedOpsTests
{
    [Fact]
    public void EmbeddedList_EqualsKernelRegistryDefault()
    {
        var embedded = SupportedOps.All.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(KernelRegistry.Default.OpTypes, embedded);
    }
}
