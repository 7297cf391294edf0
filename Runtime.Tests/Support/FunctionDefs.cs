using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Support;

/// <summary>NodeDefs and FunctionDefs written by hand in TF 2.x's layout (function bodies with <c>node:out_arg:i</c>
/// inputs, while_v2's <c>StatelessWhile</c>), for tests of functional control flow.</summary>
internal static class FunctionDefs
{
    /// <summary>A node of a graph or function body.</summary>
    public static NodeDef N(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        foreach (var (k, v) in attrs) n.Attr[k] = v;
        return n;
    }

    /// <summary>A Const node holding <paramref name="value"/>.</summary>
    public static NodeDef C(string name, Tensor value)
        => N(name, "Const", [], ("dtype", Type(value.DType)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(value) }));

    /// <summary>A function attr naming <paramref name="name"/>.</summary>
    public static AttrValue Fn(string name) => new() { Func = new NameAttrList { Name = name } };

    /// <summary>A FunctionDef: typed args, outputs with the body tensor each returns (<c>"node:out:0"</c> or an arg name).</summary>
    public static FunctionDef Function(string name, (string Name, DataType Type)[] args, (string Name, DataType Type, string Ret)[] outputs, params NodeDef[] nodes)
    {
        var f = new FunctionDef { Signature = new OpDef { Name = name } };
        foreach (var (n, t) in args) f.Signature.InputArg.Add(new OpDef.Types.ArgDef { Name = n, Type = t });
        foreach (var (n, t, r) in outputs)
        {
            f.Signature.OutputArg.Add(new OpDef.Types.ArgDef { Name = n, Type = t });
            f.Ret[n] = r;
        }
        f.NodeDef.Add(nodes);
        return f;
    }

    /// <summary>A <c>StatelessWhile</c> as while_v2 writes it (output_shapes unknown-rank when not given).</summary>
    public static NodeDef StatelessWhile(string name, string[] inputs, DataType[] types, string cond, string body)
    {
        var shapes = new AttrValue { List = new AttrValue.Types.ListValue() };
        foreach (var _ in types) shapes.List.Shape.Add(Shape(null).Shape);
        return N(name, "StatelessWhile", inputs, ("T", Types(types)), ("cond", Fn(cond)), ("body", Fn(body)), ("output_shapes", shapes),
            ("parallel_iterations", Int(10)), ("_num_original_outputs", Int(types.Length)));
    }
}
