using TypedGraph.Kernels;

namespace TypedGraph.Tests.Architecture;

/// <summary>
/// The runtime's public surface stays what users need (docs/architecture.md, "Public API"): kernel families are
/// found by the build-time registry list, not by reflection, so none of them has to be public.
/// </summary>
public sealed class PublicSurfaceTests
{
    [Fact]
    public void KernelSetClasses_AreNotPublic()
    {
        var kernelSets = typeof(KernelSet).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(KernelSet)) && !t.IsAbstract).ToList();
        Assert.True(kernelSets.Count > 50, $"expected the runtime's kernel families, found {kernelSets.Count}");
        var visible = kernelSets.Where(t => t.IsVisible).Select(t => t.FullName).Order(StringComparer.Ordinal).ToList();
        Assert.True(visible.Count == 0,
            "Kernel families are registered by tools/KernelSetGenerator and need no public access; make these internal: "
            + string.Join(", ", visible));
    }

    [Theory]
    [InlineData("BundleHeaderProto")]
    [InlineData("BundleEntryProto")]
    [InlineData("TensorSliceProto")]
    [InlineData("SavedTensorSlices")]
    [InlineData("CheckpointState")]
    public void CheckpointFileProtos_AreNotPublic(string message)
    {
        // Only the Formats types (CheckpointReader, TensorSlice, CheckpointState) show these files' contents to users.
        var type = typeof(Tensor).Assembly.GetType("TypedGraph.Protos." + message);
        Assert.NotNull(type);
        Assert.False(type!.IsVisible, $"TypedGraph.Protos.{message} is public");
    }
}
