using Microsoft.CodeAnalysis;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Tests;

/// <summary>Element types follow the graph's dtypes; PlaceholderWithDefault is an optional parameter.</summary>
public class DTypeTests
{
    private static string Graph()
    {
        var g = new TestGraphs()
            .Op("Placeholder", ("output", "dtype", DataType.DtInvalid, false))
            .Op("PlaceholderWithDefault", ("output", "dtype", DataType.DtInvalid, false))
            .Op("Const", ("output", "dtype", DataType.DtInvalid, false))
            .Op("Identity", ("output", "T", DataType.DtInvalid, false))
            .Op("Mul", ("z", "T", DataType.DtInvalid, false))
            .Op("NoOp");
        g.Placeholder("text", DataType.DtString, []);
        g.Placeholder("half", DataType.DtHalf, [2]);
        g.Placeholder("flag", DataType.DtBool, []);
        g.Placeholder("ids", DataType.DtInt64, [-1]);
        g.Placeholder("x", DataType.DtDouble, []);
        var def = g.Node("scale/default", "Const", [], DataType.DtDouble, [[]], "dtype");
        def.Attr["value"] = new AttrValue { Tensor = new TensorProto { Dtype = DataType.DtDouble, TensorShape = new TensorShapeProto(), DoubleVal = { 3.0 } } };
        g.Placeholder("scale", DataType.DtDouble, [], "PlaceholderWithDefault", "scale/default");
        g.Node("text_out", "Identity", ["text"], DataType.DtString, [[]]);
        g.Node("half_out", "Identity", ["half"], DataType.DtHalf, [[2]]);
        g.Node("flag_out", "Identity", ["flag"], DataType.DtBool, [[]]);
        g.Node("ids_out", "Identity", ["ids"], DataType.DtInt64, [[-1]]);
        g.Node("scaled", "Mul", ["x", "scale"], DataType.DtDouble, [[]]);
        return TestGraphs.Write(g.Meta(withSaver: false), "dtypes.meta");
    }

    private const string Probe = """
        using System;
        using TypedGraph.Typed;
        namespace Demo;
        public static class Probe
        {
            public static string Text() { using var m = Types.Create(); return m.TextOut.Run(text: "héllo"); }
            public static Half[] Halves() { using var m = Types.Create(); return m.HalfOut.Run(half: new[] { (Half)1.5f, (Half)(-2f) }).ToArray(); }
            public static bool Flag() { using var m = Types.Create(); return m.FlagOut.Run(flag: true); }
            public static long[] Ids() { using var m = Types.Create(); return m.IdsOut.Run(ids: new long[] { 1L << 40, -7 }).ToArray(); }
            public static double Default() { using var m = Types.Create(); return m.Scaled.Run(x: 2.0); }
            public static double Given() { using var m = Types.Create(); return m.Scaled.Run(x: 2.0, scale: 10.0); }
        }
        """;

    [Fact]
    public void EveryElementType_RoundTripsThroughTheGeneratedClass()
    {
        var run = GeneratorHarness.Generate(Graph(), new Dictionary<string, string> { ["ClassName"] = "Types", ["Namespace"] = "Demo", ["Visibility"] = "public" }, Probe);
        Assert.Empty(run.Problems);
        Assert.Contains("public string Run(string text)", run.Source);
        Assert.Contains("public double Run(double x, double? scale = null)", run.Source);
        Assert.Contains("Run(global::TypedGraph.Typed.TensorValue<global::System.Half> half)", run.Source);
        var asm = InMemoryAssembly.Load(run.Output);
        Assert.Equal("héllo", InMemoryAssembly.Call(asm, "Demo.Probe", "Text"));
        Assert.Equal([(Half)1.5f, (Half)(-2f)], (Half[])InMemoryAssembly.Call(asm, "Demo.Probe", "Halves")!);
        Assert.Equal(true, InMemoryAssembly.Call(asm, "Demo.Probe", "Flag"));
        Assert.Equal([1L << 40, -7L], (long[])InMemoryAssembly.Call(asm, "Demo.Probe", "Ids")!);
        Assert.Equal(6.0, InMemoryAssembly.Call(asm, "Demo.Probe", "Default"));
        Assert.Equal(20.0, InMemoryAssembly.Call(asm, "Demo.Probe", "Given"));
    }

    [Fact]
    public void WrongTypeForAnOptionalOrStringFeed_DoesNotCompile()
    {
        var run = GeneratorHarness.Generate(Graph(), new Dictionary<string, string> { ["ClassName"] = "Types", ["Namespace"] = "Demo" },
            "namespace Demo; internal static class Use { public static object A(Types m) => m.TextOut.Run(text: 5); public static object B(Types m) => m.Scaled.Run(x: 1.0, scale: \"3\"); }");
        var errors = run.CompileDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).ToList();
        Assert.Equal(["CS1503", "CS1503"], errors);
    }
}
