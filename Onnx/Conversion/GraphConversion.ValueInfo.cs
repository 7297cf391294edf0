using TypedGraph.Building;
using TypedGraph.Onnx.Protos;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// <c>value_info</c> for the intermediate values of each graph written (main graph, If branches, Loop bodies): the
/// element type and rank the probe run measured, and the dimensions TF's static shape rules give (the runtime's
/// <see cref="StaticShapes"/>, from placeholder shapes through the ops it knows) where they agree with the probe
/// run; other dimensions are left unnamed (unknown). ONNX Runtime checks these declarations against its own shape
/// inference when it loads the model, so a wrong one fails the load instead of passing silently.
/// </summary>
internal sealed partial class GraphConversion
{
    private GraphBuilder? _shapeBuilder;
    private HashSet<string>? _initializerNames;

    private long[]? StaticDims(TensorRef r)
    {
        try
        {
            _shapeBuilder ??= new GraphBuilder(_graph);
            var node = _graph.GetNode(r.NodeName);
            return StaticShapes.Of(_shapeBuilder, _shapeBuilder.OutputOf(node, r.Index));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or TypedGraphException)
        {
            return null; // an op the builder's catalogue or shape rules do not know: dims stay unknown
        }
    }

    /// <summary>Declares the type (and known dims) of every value defined in <paramref name="scope"/>'s graph.</summary>
    private void AddValueInfos(ScopeState scope)
    {
        var g = scope.Graph;
        _initializerNames ??= new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in _root.Graph.Initializer) _initializerNames.Add(i.Name);
        var declared = new HashSet<string>(g.Input.Select(i => i.Name).Concat(g.Output.Select(o => o.Name)).Concat(g.ValueInfo.Select(v => v.Name)), StringComparer.Ordinal);
        foreach (var (r, v) in scope.Values)
        {
            // Copies of outer values (Origin) are declared where they are defined; constants are initializers.
            if (v.Native is not { } name || v.Origin != null || v.Const != null || _initializerNames.Contains(name)) continue;
            if (v.Rank < 0 && !v.Sequence) continue;
            if (OnnxTensors.ElementType(v.DType) is not { } type || !declared.Add(name)) continue;
            if (v.Sequence)
            {
                var element = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } };
                g.ValueInfo.Add(new ValueInfoProto { Name = name, Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = element } } });
                continue;
            }
            var dims = StaticDims(r);
            var probe = scope.Probe.GetValueOrDefault(r);
            var shape = new TensorShapeProto();
            for (int i = 0; i < v.Rank; i++)
            {
                var d = new TensorShapeProto.Types.Dimension();
                if (dims != null && dims.Length == v.Rank && dims[i] >= 0 && probe != null && probe.Shape.Rank == v.Rank && probe.Shape[i] == dims[i])
                    d.DimValue = dims[i];
                shape.Dim.Add(d);
            }
            g.ValueInfo.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } });
        }
    }
}
