using TypedGraph.Protos;

namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/logging_ops.cc (ImageSummary, AudioSummary(V2), TensorSummary(V2); Assert, Print, PrintV2).
public sealed partial class OpDefCatalog
{
    private static readonly string[] SummarySignatures =
    [
        "TensorSummaryV2(tag: string, tensor: T, serialized_summary_metadata: string) -> (summary: string); T: type",
        "TensorSummary(tensor: T) -> (summary: string); T: type; description: string = ''; labels: list(string) = []; display_name: string = ''",
        "ImageSummary(tag: string, tensor: T) -> (summary: string); max_images: int >= 1 = 3; T: {uint8, float, half, double} = float; bad_color: tensor",
        "AudioSummaryV2(tag: string, tensor: float, sample_rate: float) -> (summary: string); max_outputs: int >= 1 = 3",
        "AudioSummary(tag: string, tensor: float) -> (summary: string); sample_rate: float; max_outputs: int >= 1 = 3",
        "Assert(condition: bool, data: T); T: list(type); summarize: int = 3; !stateful",
        "Print(input: T, data: U) -> (output: T); T: type; U: list(type) >= 0; message: string = ''; first_n: int = -1; summarize: int = 3; !stateful",
        "PrintV2(input: string); output_stream: string = 'stderr'; end: string = '\n'; !stateful",
    ];

    /// <summary>Defaults the signature syntax cannot spell: ImageSummary's <c>bad_color</c> is the uint8 tensor
    /// [255, 0, 0, 255] (opaque red) in logging_ops.cc.</summary>
    private static void AddSummaryDefaults(Dictionary<string, OpDef> ops)
    {
        var badColor = new TensorProto { Dtype = DataType.DtUint8, TensorShape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dim { Size = 4 } } } };
        badColor.IntVal.Add([255, 0, 0, 255]);
        ops["ImageSummary"].Attr.Single(a => a.Name == "bad_color").DefaultValue = new AttrValue { Tensor = badColor };
    }
}
