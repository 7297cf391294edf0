namespace TypedGraph.Generator.Model
{
    /// <summary>
    /// One generated member: a property on its parent whose value is an instance of the nested class
    /// <see cref="ClassName"/> (declared flat inside the model's <c>Members</c> class).
    /// </summary>
    /// <param name="Identifier">Property name on the parent (PascalCase, unique there).</param>
    /// <param name="ClassName">Nested class name inside <c>Members</c> (unique there).</param>
    /// <param name="Kind">Scope, tensor or operation.</param>
    /// <param name="TfName">Tensor name (<c>w1:0</c>) for tensors, node name for operations, scope path for scopes.</param>
    /// <param name="Node">Facts about the node (null for a pure scope).</param>
    /// <param name="Type">Static tensor type (tensors only).</param>
    /// <param name="RequiredFeeds">Placeholders the member depends on, ordered by TF name.</param>
    /// <param name="OptionalFeeds"><c>PlaceholderWithDefault</c>s it depends on, ordered by TF name.</param>
    /// <param name="Children">Members of the name scope below this one, ordered by identifier.</param>
    internal sealed record MemberSpec(
        string Identifier,
        string ClassName,
        MemberKind Kind,
        string TfName,
        NodeInfo? Node,
        TensorTypeSpec? Type,
        EquatableArray<FeedSpec> RequiredFeeds,
        EquatableArray<FeedSpec> OptionalFeeds,
        EquatableArray<MemberSpec> Children);
}
