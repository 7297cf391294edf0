using TypedGraph.Kernels.Lists;
using TypedGraph.Protos;
using TypedGraph.Tests.Perf;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// SetItem / PushBack / PopBack change a list's elements in place (TF's ForwardInputOrCreateNewList when the list is
/// uniquely held), yet every list value a graph can observe keeps its own contents: a version read after a newer one
/// was made — fetched, read by another op, or held outside a While loop — still reads what it held when it was made.
/// </summary>
public class TensorListVersionTests
{
    private const DataType F = DataType.DtFloat;

    private static (string, AttrValue) Elem() => ("element_dtype", Type(F));

    /// <summary>
    /// Random SetItem / PushBack / PopBack on random versions (newest, or any older one), each checked against a
    /// copy-on-write reference written in the test: after every step one random version, and at the end every
    /// version, must hold exactly the elements the reference says.
    /// </summary>
    [Fact]
    public void EveryVersionKeepsItsContents_UnderRandomOpsOnOldAndNewVersions()
    {
        var rng = new Random(5);
        var versions = new List<TensorList> { new(F, [], new Tensor?[3]) };
        var expected = new List<List<float?>> { new() { null, null, null } };
        int nextValue = 1;

        void Check(int v)
        {
            var list = versions[v];
            Assert.Equal(expected[v].Count, list.Count);
            for (int i = 0; i < expected[v].Count; i++)
                Assert.Equal(expected[v][i], list.Get(i)?.AsSpan<float>()[0]);
        }

        for (int step = 0; step < 3000; step++)
        {
            // Mostly the newest version (a loop's linear use), often an old one (re-rooting).
            int v = rng.Next(4) == 0 ? rng.Next(versions.Count) : versions.Count - 1;
            var list = versions[v];
            var contents = new List<float?>(expected[v]);
            int op = rng.Next(3);
            if (op == 0 && contents.Count > 0)
            {
                int i = rng.Next(contents.Count);
                float value = nextValue++;
                versions.Add(list.SetItem(i, Tensor.FromScalar(value)));
                contents[i] = value;
            }
            else if (op == 1 || contents.Count == 0)
            {
                float? value = rng.Next(5) == 0 ? null : nextValue++;
                versions.Add(list.PushBack(value is { } x ? Tensor.FromScalar(x) : null));
                contents.Add(value);
            }
            else
            {
                var (rest, last) = list.PopBack();
                Assert.Equal(contents[^1], last?.AsSpan<float>()[0]);
                contents.RemoveAt(contents.Count - 1);
                versions.Add(rest);
            }
            expected.Add(contents);
            Check(rng.Next(versions.Count));
        }
        for (int v = 0; v < versions.Count; v++) Check(v);
        // And once more in reverse order (every re-root walks the other way).
        for (int v = versions.Count - 1; v >= 0; v--) Check(v);
    }

    [Fact]
    public void AnInputListFetchedOrReadAfterSetItemPushAndPopKeepsItsValue()
    {
        var g = new ExecGraph();
        g.Const("shape", Tensor.Create(new[] { 2 }, 1));
        g.Const("n", Tensor.FromScalar(2));
        g.Const("i0", Tensor.FromScalar(0));
        g.Const("i1", Tensor.FromScalar(1));
        g.Const("a", Tensor.Create(new float[] { 1, 2 }, 2));
        g.Const("b", Tensor.Create(new float[] { 3, 4 }, 2));
        g.Const("c", Tensor.Create(new float[] { 5, 6 }, 2));
        g.Op("list", "TensorListReserve", ["shape", "n"], Elem(), ("shape_type", Type(DataType.DtInt32)));
        g.Op("set0", "TensorListSetItem", ["list", "i0", "a"], Elem());
        g.Op("set1", "TensorListSetItem", ["set0", "i1", "b"], Elem());
        g.Op("pushed", "TensorListPushBack", ["set1", "c"], Elem());
        g.Op("popped", "TensorListPopBack", ["pushed", "shape"], Elem());
        g.Op("popped_twice", "TensorListPopBack", ["popped", "shape"], Elem());
        // Reads of the older versions, forced to run after every newer version exists.
        string[] after = ["^popped_twice"];
        g.Op("stack_list", "TensorListStack", ["list", "shape", .. after], Elem());
        g.Op("stack_set0", "TensorListStack", ["set0", "shape", .. after], Elem());
        g.Op("stack_set1", "TensorListStack", ["set1", "shape", .. after], Elem());
        g.Op("stack_pushed", "TensorListStack", ["pushed", "shape", .. after], Elem());
        g.Op("stack_popped_twice", "TensorListStack", ["popped_twice", "shape"], Elem());
        using var s = new Session(g.Graph);
        var r = s.Run(["stack_list:0", "stack_set0:0", "stack_set1:0", "stack_pushed:0", "popped:1", "stack_popped_twice:0", "popped_twice:1", "set0:0"]);
        Assert.Equal([0f, 0, 0, 0], r[0].ToArray<float>());
        Assert.Equal([1f, 2, 0, 0], r[1].ToArray<float>());
        Assert.Equal([1f, 2, 3, 4], r[2].ToArray<float>());
        Assert.Equal([1f, 2, 3, 4, 5, 6], r[3].ToArray<float>());
        Assert.Equal([5f, 6], r[4].ToArray<float>());
        Assert.Equal([1f, 2], r[5].ToArray<float>());
        Assert.Equal([3f, 4], r[6].ToArray<float>());
        // The fetched variant still holds set0's contents after the run.
        var fetched = (TensorList)r[7].Handle!;
        Assert.Equal(2, fetched.Count);
        Assert.Equal([1f, 2], fetched.Get(0)!.ToArray<float>());
        Assert.Null(fetched.Get(1));
    }

    /// <summary>
    /// A TF2 StatelessWhile whose body SetItems every row of a list that is also read outside the loop, after it: the
    /// loop's in-place writes must not show through the list the loop started from.
    /// </summary>
    [Fact]
    public void ListHeldOutsideAStatelessWhile_KeepsItsValueWhileTheLoopWritesInPlace()
    {
        var def = TensorListLoopAllocationTests.AccumulatorLoopDef(TensorListLoopAllocationTests.Write.SetItem);
        const int Width = 64, Rows = 5;
        var initial = Enumerable.Range(0, Rows * Width).Select(i => 100f + i).ToArray();
        var list = def.Node.Single(n => n.Name == "list");
        def.Node.Remove(list);
        def.Node.Add(NodeOf("initial", "Const", [], ("dtype", Type(F)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(Tensor.Create(initial, Rows, Width)) })));
        def.Node.Add(NodeOf("list", "TensorListFromTensor", ["initial", "element_shape"], Elem(), ("shape_type", Type(DataType.DtInt32))));
        def.Node.Add(NodeOf("stack_initial", "TensorListStack", ["list", "element_shape", "^while"], Elem(), ("num_elements", Int(-1))));
        using var s = new Session(new Graph(def));
        var x = Enumerable.Range(0, Width).Select(k => 0.5f * k).ToArray();
        var r = s.Run(["stack:0", "stack_initial:0", "while:2"], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(3), ["x:0"] = Tensor.Create(x, Width) });
        var written = r[0].ToArray<float>();
        for (int row = 0; row < Rows; row++)
            for (int k = 0; k < Width; k++)
                Assert.Equal(row < 3 ? x[k] * row : initial[row * Width + k], written[row * Width + k]);
        Assert.Equal(initial, r[1].ToArray<float>());
        Assert.Equal(Rows, ((TensorList)r[2].Handle!).Count);
    }

    private static NodeDef NodeOf(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        foreach (var (k, v) in attrs) n.Attr[k] = v;
        return n;
    }
}
