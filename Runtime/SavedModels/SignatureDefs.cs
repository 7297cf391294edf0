using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.SavedModels;

/// <summary>
/// The SignatureDefs TF Serving understands, built as <c>tf.saved_model.signature_def_utils</c> builds them
/// (signature_def_utils_impl.py): method names <c>tensorflow/serving/predict|classify|regress</c>, the fixed
/// keys of classify (<c>inputs</c> → <c>classes</c>, <c>scores</c>) and regress (<c>inputs</c> → <c>outputs</c>),
/// and each TensorInfo with the tensor's name, dtype and static shape (<c>build_tensor_info</c>).
/// </summary>
public static class SignatureDefs
{
    /// <summary><c>tensorflow/serving/predict</c>.</summary>
    public const string PredictMethodName = "tensorflow/serving/predict";

    /// <summary><c>tensorflow/serving/classify</c>.</summary>
    public const string ClassifyMethodName = "tensorflow/serving/classify";

    /// <summary><c>tensorflow/serving/regress</c>.</summary>
    public const string RegressMethodName = "tensorflow/serving/regress";

    /// <summary>Key of the classify/regress input (serialized tf.Example strings): <c>inputs</c>.</summary>
    public const string InputsKey = "inputs";

    /// <summary>Classify output keys.</summary>
    public const string ClassesKey = "classes", ScoresKey = "scores";

    /// <summary>Regress output key: <c>outputs</c>.</summary>
    public const string OutputsKey = "outputs";

    /// <summary>A predict signature with the given keys (<c>predict_signature_def</c>).</summary>
    /// <exception cref="ArgumentException">No inputs or no outputs.</exception>
    public static SignatureDef Predict(GraphBuilder builder, IReadOnlyDictionary<string, Output> inputs, IReadOnlyDictionary<string, Output> outputs)
    {
        if (inputs.Count == 0) throw new ArgumentException("A predict signature needs at least one input.", nameof(inputs));
        if (outputs.Count == 0) throw new ArgumentException("A predict signature needs at least one output.", nameof(outputs));
        var sig = new SignatureDef { MethodName = PredictMethodName };
        foreach (var (k, v) in inputs) sig.Inputs.Add(k, TensorInfoOf(builder, v));
        foreach (var (k, v) in outputs) sig.Outputs.Add(k, TensorInfoOf(builder, v));
        return sig;
    }

    /// <summary>
    /// A classify signature (<c>classification_signature_def</c>): <paramref name="examples"/> must be a string
    /// tensor, <paramref name="classes"/> string, <paramref name="scores"/> float; at least one of the two outputs.
    /// </summary>
    /// <exception cref="ArgumentException">A dtype TF would reject, or neither output.</exception>
    public static SignatureDef Classify(GraphBuilder builder, Output examples, Output? classes, Output? scores)
    {
        Require(examples, DataType.DtString, "examples");
        if (classes == null && scores == null) throw new ArgumentException("A classify signature needs classes, scores or both.");
        var sig = new SignatureDef { MethodName = ClassifyMethodName };
        sig.Inputs.Add(InputsKey, TensorInfoOf(builder, examples));
        if (classes is { } c) { Require(c, DataType.DtString, "classes"); sig.Outputs.Add(ClassesKey, TensorInfoOf(builder, c)); }
        if (scores is { } s) { Require(s, DataType.DtFloat, "scores"); sig.Outputs.Add(ScoresKey, TensorInfoOf(builder, s)); }
        return sig;
    }

    /// <summary>A regress signature (<c>regression_signature_def</c>): string examples in, float predictions out.</summary>
    /// <exception cref="ArgumentException">A dtype TF would reject.</exception>
    public static SignatureDef Regress(GraphBuilder builder, Output examples, Output predictions)
    {
        Require(examples, DataType.DtString, "examples");
        Require(predictions, DataType.DtFloat, "predictions");
        var sig = new SignatureDef { MethodName = RegressMethodName };
        sig.Inputs.Add(InputsKey, TensorInfoOf(builder, examples));
        sig.Outputs.Add(OutputsKey, TensorInfoOf(builder, predictions));
        return sig;
    }

    /// <summary><c>build_tensor_info</c>: name, base dtype, static shape (unknown_rank when unknown).</summary>
    public static TensorInfo TensorInfoOf(GraphBuilder builder, Output t)
    {
        var dims = StaticShapes.Of(builder, t);
        return new TensorInfo
        {
            Name = t.Name,
            Dtype = t.BaseType,
            TensorShape = dims == null ? new TensorShapeProto { UnknownRank = true } : Attrs.ShapeProto(dims),
        };
    }

    private static void Require(Output t, DataType dtype, string what)
    {
        if (t.BaseType != dtype)
            throw new ArgumentException($"The {what} tensor '{t.Name}' is {DataTypes.Name(t.BaseType)}; a TF Serving signature requires {DataTypes.Name(dtype)}.");
    }
}
