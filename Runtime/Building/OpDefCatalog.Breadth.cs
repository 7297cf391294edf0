namespace TypedGraph.Building;

// The session-7 breadth families (issue 10), gathered here so the catalogue's constructor names them once.
public sealed partial class OpDefCatalog
{
    private static IEnumerable<string> BreadthSignatures => SpaceBatchSignatures.Concat(Nn3DSignatures).Concat(OptimizerSignatures).Concat(ArrayExtraSignatures).Concat(SpecialMathSignatures).Concat(FileIoSignatures).Concat(GradientOpSignatures);
}
