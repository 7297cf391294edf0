using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Kernels.Sparse;

/// <summary>Scatter and SparseApply ops on ref (VariableV2) and resource (VarHandleOp) variables, run through a Session.</summary>
public class VariableScatterAndSparseApplyTests
{
    /// <summary>A graph with variables named vars[i] holding values[i] (ref or resource form), an "init" target and
    /// a node "op" of <paramref name="op"/> whose first inputs are the variables, then <paramref name="rest"/>.</summary>
    private static Session Build(bool resource, string op, Tensor[] values, Tensor[] rest, params (string, AttrValue)[] attrs)
    {
        var g = new ExecGraph();
        var inits = new List<string>();
        var inputs = new List<string>();
        for (int i = 0; i < values.Length; i++)
        {
            string v = "v" + i;
            g.Const(v + "/init", values[i]);
            if (resource)
            {
                g.Op(v, "VarHandleOp", [], ("dtype", Type(values[i].DType)), ("shape", Shape(values[i].Shape.ToArray().Select(d => (long)d).ToArray())), ("shared_name", Str(v)), ("container", Str("")));
                g.Op(v + "/Assign", "AssignVariableOp", [v, v + "/init"], ("dtype", Type(values[i].DType)));
                g.Op(v + "/read", "ReadVariableOp", [v], ("dtype", Type(values[i].DType)));
            }
            else
            {
                g.Variable(v, values[i].DType, values[i].Shape.ToArray().Select(d => (long)d).ToArray());
                g.Op(v + "/Assign", "Assign", [v, v + "/init"], T(values[i].DType));
                g.Op(v + "/read", "Identity", [v], T(values[i].DType));
            }
            inits.Add("^" + v + "/Assign");
            inputs.Add(v);
        }
        for (int i = 0; i < rest.Length; i++) inputs.Add(g.Const("in" + i, rest[i]));
        g.Op("init", "NoOp", inits.ToArray());
        g.Op("op", (resource ? "Resource" : "") + op, inputs.ToArray(), attrs);
        var s = new Session(g.Graph);
        s.RunTargets("init");
        return s;
    }

    private static float[] Read(Session s, int i) => s.Run($"v{i}/read:0").ToArray<float>();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScatterAddSubMulDivMaxMinUpdate_ApplyRowsInIndexOrder(bool resource)
    {
        float[] start = [1, 2, 3, 4, 5, 6];
        // indices [2, 0, 2]: row 2 is hit twice. Expected values computed row by row from TF's scatter_op.cc semantics.
        var idx = I([2, 0, 2]);
        var upd = F([10, 20, 1, 1, 2, 4], 3, 2);
        var cases = new (string Op, float[] Expect)[]
        {
            ("ScatterAdd", [2, 3, 3, 4, 17, 30]),
            ("ScatterSub", [0, 1, 3, 4, -7, -18]),
            ("ScatterMul", [1, 2, 3, 4, 100, 480]),
            ("ScatterDiv", [1, 2, 3, 4, 0.25f, 0.075f]),
            ("ScatterMax", [1, 2, 3, 4, 10, 20]),
            ("ScatterMin", [1, 1, 3, 4, 2, 4]),
            ("ScatterUpdate", [1, 1, 3, 4, 2, 4]), // last duplicate wins
        };
        foreach (var (op, expect) in cases)
        {
            using var s = Build(resource, op, [F(start, 3, 2)], [idx, upd]);
            s.RunTargets("op");
            Close(expect, Read(s, 0), 1e-6f, op);
        }
    }

    [Fact]
    public void ScatterOps_RejectOutOfRangeIndexWithTfMessage_AndLeaveVariableUnchanged()
    {
        using var s = Build(false, "ScatterAdd", [F([1, 2, 3], 3)], [I([0, 3]), F([1, 1])]);
        var ex = Assert.Throws<GraphExecutionException>(() => s.RunTargets("op"));
        Assert.Contains("indices[1] = 3 is not in [0, 3)", ex.Message);
        Assert.Equal([1f, 2, 3], Read(s, 0));
        using var r = Build(true, "ScatterAdd", [F([1, 2, 3], 3)], [I([0, 1]), Tensor.FromScalar(5f)]); // resource form takes a scalar update
        r.RunTargets("op");
        Assert.Equal([6f, 7, 3], Read(r, 0));
    }

    [Fact]
    public void ResourceGatherAndScatterNdUpdate_ReadAndWriteTheVariable()
    {
        using var s = Build(true, "ScatterNdUpdate", [F([1, 2, 3, 4, 5, 6], 3, 2)], [I([2, 1], 1, 2), F([9], 1)]);
        s.RunTargets("op");
        Assert.Equal([1f, 2, 3, 4, 5, 9], Read(s, 0));
        using var g = Build(true, "Gather", [F([1, 2, 3, 4, 5, 6], 3, 2)], [I([2, 0, 2], 3)], ("dtype", Type(DataType.DtFloat)));
        var rows = g.Run("op:0");
        Assert.Equal(new TensorShape(3, 2), rows.Shape);
        Assert.Equal([5f, 6, 1, 2, 5, 6], rows.ToArray<float>());
        using var bad = Build(true, "Gather", [F([1, 2, 3, 4, 5, 6], 3, 2)], [I([3])], ("dtype", Type(DataType.DtFloat)));
        Assert.Contains("indices[0] = 3 is not in [0, 3)", Assert.Throws<GraphExecutionException>(() => bad.Run("op:0")).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SparseApplyAdagrad_UpdatesOnlyIndexedRows_AsDenseRuleRowByRow(bool resource)
    {
        float lr = 0.1f;
        float[] v = [1, 2, 3, 4, 5, 6], acc = [0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f];
        float[] g = [0.5f, -1, 2, 0.25f];
        int[] idx = [2, 0];
        using var s = Build(resource, "SparseApplyAdagrad", [F(v, 3, 2), F(acc, 3, 2)], [Tensor.FromScalar(lr), F(g, 2, 2), I(idx)]);
        s.RunTargets("op");
        var ev = (float[])v.Clone();
        var ea = (float[])acc.Clone();
        for (int i = 0; i < 2; i++)
            for (int e = 0; e < 2; e++)
            {
                int j = idx[i] * 2 + e;
                ea[j] += g[i * 2 + e] * g[i * 2 + e];
                ev[j] -= lr * g[i * 2 + e] / MathF.Sqrt(ea[j]);
            }
        Close(ev, Read(s, 0), 1e-6f, "var");
        Close(ea, Read(s, 1), 1e-6f, "accum");
        Assert.Equal(3f, Read(s, 0)[2]); // row 1 untouched
    }

    [Fact]
    public void SparseApplyMomentum_DuplicateIndicesApplyTwice()
    {
        using var s = Build(false, "SparseApplyMomentum", [F([1, 1], 2), F([0, 0], 2)], [Tensor.FromScalar(0.5f), F([1, 2], 2), I([1, 1]), Tensor.FromScalar(0.9f)]);
        s.RunTargets("op");
        // Row 1: accum = 0·0.9 + 1 = 1, var = 1 − 0.5 = 0.5; then accum = 0.9 + 2 = 2.9, var = 0.5 − 1.45 = −0.95.
        Close([1, -0.95f], Read(s, 0), 1e-6f);
        Close([0, 2.9f], Read(s, 1), 1e-6f);
    }

    [Fact]
    public void SparseApplyFtrl_MatchesTfFormula()
    {
        double lr = 0.5, l1 = 0.1, l2 = 0.2, p = -0.5;
        double v0 = 0.3, a0 = 0.1, lin0 = 0.05, g = 0.7;
        using var s = Build(false, "SparseApplyFtrl", [F([(float)v0, 9], 2), F([(float)a0, 9], 2), F([(float)lin0, 9], 2)],
            [F([(float)g], 1), I([0]), Tensor.FromScalar((float)lr), Tensor.FromScalar((float)l1), Tensor.FromScalar((float)l2), Tensor.FromScalar((float)p)]);
        s.RunTargets("op");
        // TF training_ops.cc ApplyFtrl, written out in double.
        double na = a0 + g * g;
        double lin = lin0 + g - (Math.Pow(na, -p) - Math.Pow(a0, -p)) / lr * v0;
        double quad = Math.Pow(na, -p) / lr + 2 * l2;
        double nv = Math.Abs(lin) > l1 ? (Math.Sign(lin) * l1 - lin) / quad : 0;
        Close([(float)nv, 9], Read(s, 0), 1e-5f, "var");
        Close([(float)na, 9], Read(s, 1), 1e-5f, "accum");
        Close([(float)lin, 9], Read(s, 2), 1e-5f, "linear");
        using var bad = Build(false, "SparseApplyFtrl", [F([0, 0], 2), F([1, 1], 2), F([0, 0], 2)],
            [F([1], 1), I([2]), Tensor.FromScalar(0.5f), Tensor.FromScalar(0f), Tensor.FromScalar(0f), Tensor.FromScalar(-0.5f)]);
        Assert.Contains("Index 2 at offset 0 in indices is out of range", Assert.Throws<GraphExecutionException>(() => bad.RunTargets("op")).Message);
    }
}
