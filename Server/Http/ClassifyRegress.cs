using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;
using TypedGraph.Server.Json;

namespace TypedGraph.Server.Http;

/// <summary>
/// <c>:classify</c> and <c>:regress</c>: the request's tf.Example JSON (json_tensor.cc
/// FillClassifyRegressRequestFromJson) becomes a DT_STRING batch of serialized Examples fed to the signature's
/// <c>inputs</c>; results are read as TF Serving's classifier.cc / regressor.cc read them (<c>classes</c> and/or
/// <c>scores</c>; <c>outputs</c>) and written as <c>{"results": …}</c>.
/// </summary>
internal static class ClassifyRegress
{
    private const string ClassifyMethod = "tensorflow/serving/classify";
    private const string RegressMethod = "tensorflow/serving/regress";

    public static string Classify(RestApi api, RestApi.ModelSpec spec, JsonValue doc)
    {
        using var lease = api.Acquire(spec);
        var servable = lease.Servable;
        var examples = Examples(doc, "classify");
        var (sig, key) = Signature(servable, TensorJson.SignatureName(doc), ClassifyMethod, "classification");
        bool hasClasses = sig.Outputs.ContainsKey("classes"), hasScores = sig.Outputs.ContainsKey("scores");
        if (!hasClasses && !hasScores)
            throw ServingException.InvalidArgument("Expected classification signature outputs to contain at least one of classes or scores.");
        var outputs = servable.Run(key, new Dictionary<string, Tensor> { ["inputs"] = examples },
            [.. hasClasses ? ["classes"] : Array.Empty<string>(), .. hasScores ? ["scores"] : Array.Empty<string>()]);
        int batch = examples.Shape[0];
        Tensor? classes = hasClasses ? outputs["classes"] : null, scores = hasScores ? outputs["scores"] : null;
        // classifier.cc PostProcessClassificationResult checks.
        if (classes != null)
        {
            if (classes.DType != DataType.DtString)
                throw ServingException.InvalidArgument($"Expected classes Tensor of DT_STRING. Got: {TensorJson.TfTypeName(classes.DType)}");
            if (classes.Shape.Rank != 2 || classes.Shape[0] != batch)
                throw ServingException.InvalidArgument($"Expected Tensor shape: [{batch},?] but got {classes.Shape}");
        }
        if (scores != null)
        {
            if (scores.DType != DataType.DtFloat)
                throw ServingException.InvalidArgument($"Expected scores Tensor of DT_FLOAT. Got: {TensorJson.TfTypeName(scores.DType)}");
            if (scores.Shape.Rank != 2 || scores.Shape[0] != batch)
                throw ServingException.InvalidArgument($"Expected Tensor shape: [{batch},?] but got {scores.Shape}");
        }
        if (classes != null && scores != null && classes.Shape != scores.Shape)
            throw ServingException.InvalidArgument($"Tensors class and score should match in shape. Class shape: {classes.Shape} Score shape: {scores.Shape}");
        int perExample = (classes ?? scores)!.Shape[1];
        var sb = new StringBuilder("{\n    \"results\": [");
        for (int i = 0; i < batch; i++)
        {
            sb.Append(i > 0 ? "," : "").Append("\n        [");
            for (int c = 0; c < perExample; c++)
            {
                if (c > 0) sb.Append(", ");
                sb.Append('[');
                JsonText.AppendQuoted(sb, classes != null ? Encoding.UTF8.GetString(classes.Strings[i * perExample + c]) : "");
                sb.Append(", ").Append(JsonText.Decimal(scores != null ? scores.AsSpan<float>()[i * perExample + c] : 0f)).Append(']');
            }
            sb.Append(']');
        }
        sb.Append("\n    ]\n}");
        return sb.ToString();
    }

    public static string Regress(RestApi api, RestApi.ModelSpec spec, JsonValue doc)
    {
        using var lease = api.Acquire(spec);
        var servable = lease.Servable;
        var examples = Examples(doc, "regress");
        var (sig, key) = Signature(servable, TensorJson.SignatureName(doc), RegressMethod, "regression");
        if (!sig.Outputs.ContainsKey("outputs"))
            throw ServingException.InvalidArgument("No regression outputs found in signature. Expected 'outputs'.");
        var output = servable.Run(key, new Dictionary<string, Tensor> { ["inputs"] = examples }, ["outputs"])["outputs"];
        int batch = examples.Shape[0];
        // regressor.cc PostProcessRegressionResult: [batch] or [batch, 1] floats.
        if (output.DType != DataType.DtFloat)
            throw ServingException.InvalidArgument($"Expected output Tensor of DT_FLOAT.  Got: {TensorJson.TfTypeName(output.DType)}");
        if (!((output.Shape.Rank == 1 && output.Shape[0] == batch) || (output.Shape.Rank == 2 && output.Shape[0] == batch && output.Shape[1] == 1)))
            throw ServingException.InvalidArgument($"Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got {output.Shape}");
        var values = output.AsSpan<float>();
        var sb = new StringBuilder("{\n    \"results\": [");
        for (int i = 0; i < batch; i++) sb.Append(i > 0 ? ", " : "").Append(JsonText.Decimal(values[i]));
        sb.Append("]\n}");
        return sb.ToString();
    }

    // classifier.cc / regressor.cc: the named (or default) signature, whose method must match, with one input "inputs".
    private static (SignatureDef Sig, string Key) Signature(Models.ServableVersion servable, string name, string method, string what)
    {
        var key = name.Length == 0 ? SavedModelBundle.DefaultSignatureKey : name;
        if (!servable.Signatures.TryGetValue(key, out var sig))
            throw ServingException.InvalidArgument($"No signature was found with the name: {key}");
        if (sig.MethodName != method)
            throw ServingException.InvalidArgument($"Expected {what} signature method_name to be {method}. Was: {sig.MethodName}");
        if (sig.Inputs.Count != 1 || !sig.Inputs.ContainsKey("inputs"))
            throw ServingException.InvalidArgument($"Expected one input Tensor named 'inputs' in the {what} signature '{key}'; it has: {string.Join(",", sig.Inputs.Keys)}.");
        return (sig, key);
    }

    // FillClassifyRegressRequestFromJson + InputToSerializedExampleTensor: each example serialized after the context
    // (a protobuf parser merges the two, so context features join every example's).
    private static Tensor Examples(JsonValue doc, string verb)
    {
        if (doc.Kind != JsonKind.Object) throw ServingException.InvalidArgument($"JSON Value: {doc} Is not object");
        TensorJson.SignatureName(doc);
        byte[] context = [];
        if (doc.Find("context") is { } ctx) context = TfExampleJson.Serialize(ctx);
        var list = doc.Find("examples")
            ?? throw ServingException.InvalidArgument($"JSON Value: {doc} When method is {verb}, key 'examples' is expected and was not found");
        if (list.Kind != JsonKind.Array) throw ServingException.InvalidArgument($"JSON Value: {doc} Expecting 'examples' value to be an list/array");
        if (list.Items.Count == 0) throw ServingException.InvalidArgument($"JSON Value: {doc} 'examples' value is an empty array");
        var serialized = new byte[list.Items.Count][];
        for (int i = 0; i < serialized.Length; i++) serialized[i] = [.. context, .. TfExampleJson.Serialize(list.Items[i])];
        return new Tensor(new TensorShape(serialized.Length), serialized);
    }
}

/// <summary>
/// A tf.Example from TF Serving's JSON form (json_tensor.cc MakeExampleFromJsonObject / AddValueToFeature):
/// each member is a feature, its value one element or a list; strings and <c>{"b64": …}</c> are bytes, integers
/// and booleans int64, decimals float; one feature's elements must all be of one kind.
/// </summary>
internal static class TfExampleJson
{
    public static byte[] Serialize(JsonValue val) => Parse(val).ToByteArray();

    public static Example Parse(JsonValue val)
    {
        if (val.Kind != JsonKind.Object)
            throw ServingException.InvalidArgument($"Example must be JSON object but got JSON {val.TypeName}");
        var example = new Example();
        if (val.Members.Count == 0) return example;
        example.Features = new Features();
        foreach (var (name, content) in val.Members) example.Features.Feature[name] = Feature(name, content);
        return example;
    }

    private static Feature Feature(string name, JsonValue content)
    {
        var f = new Feature();
        foreach (var v in content.Kind == JsonKind.Array ? content.Items : [content])
        {
            switch (v.Kind)
            {
                case JsonKind.Bool:
                    Expect(f, Protos.Feature.KindOneofCase.Int64List, name);
                    (f.Int64List ??= new Int64List()).Value.Add(v.Bool ? 1 : 0);
                    break;
                case JsonKind.Object when v.Members.Count == 1 && v.Members[0].Key == "b64" && v.Members[0].Value.Kind == JsonKind.String:
                    Expect(f, Protos.Feature.KindOneofCase.BytesList, name);
                    (f.BytesList ??= new BytesList()).Value.Add(ByteString.CopyFrom(TensorJson.DecodeBase64(v)));
                    break;
                case JsonKind.String:
                    Expect(f, Protos.Feature.KindOneofCase.BytesList, name);
                    (f.BytesList ??= new BytesList()).Value.Add(ByteString.CopyFromUtf8(v.String));
                    break;
                case JsonKind.Number when v.IsDouble:
                    Expect(f, Protos.Feature.KindOneofCase.FloatList, name);
                    if (double.IsFinite(v.Double) && (v.Double > float.MaxValue || v.Double < -float.MaxValue))
                        throw ServingException.InvalidArgument($"Cannot convert JSON value: {v} to float without loss of precision.");
                    (f.FloatList ??= new FloatList()).Value.Add((float)v.Double);
                    break;
                case JsonKind.Number:
                    Expect(f, Protos.Feature.KindOneofCase.Int64List, name);
                    if (v.Int64 is not { } l) throw ServingException.InvalidArgument($"Feature: {name} has uint64 element. Only int64 is supported.");
                    (f.Int64List ??= new Int64List()).Value.Add(l);
                    break;
                default:
                    throw ServingException.InvalidArgument($"Feature: {name} has element with unexpected JSON type: {v.TypeName}");
            }
        }
        return f;
    }

    // IsFeatureOfKind / IncompatibleFeatureKindError: a feature's first element fixes its kind.
    private static void Expect(Feature f, Feature.KindOneofCase want, string name)
    {
        if (f.KindCase == Protos.Feature.KindOneofCase.None || f.KindCase == want) return;
        var kind = f.KindCase switch
        {
            Protos.Feature.KindOneofCase.BytesList => "bytes",
            Protos.Feature.KindOneofCase.FloatList => "float",
            _ => "int64",
        };
        throw ServingException.InvalidArgument($"Unexpected element type in feature: {name} expecting type: {kind}");
    }
}
