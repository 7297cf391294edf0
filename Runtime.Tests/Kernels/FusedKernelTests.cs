using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

public class FusedKernelTests
{
    [Fact]
    public void FusedConvAndMatMulEqualTheUnfusedChain()
    {
        var r = new Random(5);
        var x = Tensor.Create(RandomFloats(r, 2 * 9 * 9 * 3), 2, 9, 9, 3);
        var f = Tensor.Create(RandomFloats(r, 3 * 3 * 3 * 8), 3, 3, 3, 8);
        var bias = Tensor.Create(RandomFloats(r, 8), 8);
        Action<Protos.NodeDef> conv = def =>
        {
            def.Attr["strides"] = ToAttr(new[] { 1, 2, 2, 1 });
            def.Attr["padding"] = ToAttr("SAME");
        };
        var expected = Compute1("Relu", [Compute1("BiasAdd", [Compute1("Conv2D", [x, f], conv), bias])]);
        var fused = Compute1("_FusedConv2D", [x, f, bias], def =>
        {
            conv(def);
            def.Attr["num_args"] = ToAttr(1);
            def.Attr["fused_ops"] = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { S = { Google.Protobuf.ByteString.CopyFromUtf8("BiasAdd"), Google.Protobuf.ByteString.CopyFromUtf8("Relu") } } };
        });
        Close(expected.AsSpan<float>(), fused.AsSpan<float>(), 1e-5f, "fused conv");

        var a = Tensor.Create(RandomFloats(r, 5 * 7), 5, 7);
        var w = Tensor.Create(RandomFloats(r, 7 * 4), 7, 4);
        var b = Tensor.Create(RandomFloats(r, 4), 4);
        var mm = Compute1("BiasAdd", [Compute1("MatMul", [a, w]), b]);
        var fmm = Compute1("_FusedMatMul", [a, w, b], def =>
        {
            def.Attr["num_args"] = ToAttr(1);
            def.Attr["fused_ops"] = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { S = { Google.Protobuf.ByteString.CopyFromUtf8("BiasAdd") } } };
        });
        Close(mm.AsSpan<float>(), fmm.AsSpan<float>(), 1e-5f, "fused matmul");
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("_FusedMatMul", [a, w, b], def =>
        {
            def.Attr["fused_ops"] = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { S = { Google.Protobuf.ByteString.CopyFromUtf8("FusedBatchNorm") } } };
        }));
        Assert.Contains("unsupported fused_ops", ex.Message);
    }
}
