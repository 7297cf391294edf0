using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using TypedGraph.Server.Batching;
using TypedGraph.Server.Json;
using TypedGraph.Server.Models;

namespace TypedGraph.Server.Http;

/// <summary>
/// TF Serving's REST API (tensorflow_serving/model_servers/http_rest_api_handler.cc and http_rest_api_util.cc):
/// the same URL patterns (case-insensitive), JSON bodies and <c>{ "error": … }</c> responses with the HTTP status
/// of the TF error code.
/// </summary>
public sealed partial class RestApi(ModelManager model, BatchScheduler batcher, ServingMetrics metrics, long maxBodyBytes)
{
    // http_rest_api_util.cc kPredictionApiGegex / kModelStatusApiRegex.
    [GeneratedRegex(@"^/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PredictionPath();

    [GeneratedRegex(@"^/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex StatusPath();

    private static readonly JsonFormatter s_protoJson = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithPreserveProtoFieldNames(true));

    /// <summary>Handles one request under <c>/v1/</c>.</summary>
    public async Task HandleAsync(HttpContext ctx)
    {
        var started = Stopwatch.GetTimestamp();
        string api = "unknown";
        int status = StatusCodes.Status200OK;
        string body;
        try
        {
            (api, body) = await DispatchAsync(ctx).ConfigureAwait(false);
        }
        catch (ServingException e)
        {
            status = ServingException.HttpStatus(e.Code);
            body = ErrorJson(e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            status = StatusCodes.Status413PayloadTooLarge;
            body = ErrorJson($"Request body is larger than the limit of {maxBodyBytes} bytes.");
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            metrics.ObserveRequest(model.Name, api, 499, Stopwatch.GetElapsedTime(started));
            return;
        }
        catch (Exception e)
        {
            status = StatusCodes.Status500InternalServerError;
            body = ErrorJson($"Internal error: {e.GetType().Name}: {e.Message}");
        }
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(body);
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted).ConfigureAwait(false);
        metrics.ObserveRequest(model.Name, api, status, Stopwatch.GetElapsedTime(started));
    }

    // FillJsonErrorMsg: { "error": "<message>" }.
    private static string ErrorJson(string message) => "{ \"error\": " + JsonText.Quote(message) + " }";

    private async Task<(string Api, string Body)> DispatchAsync(HttpContext ctx)
    {
        var method = ctx.Request.Method;
        var path = ctx.Request.Path.Value ?? "";
        if (HttpMethods.IsPost(method) && PredictionPath().Match(path) is { Success: true } p)
        {
            var verb = p.Groups[4].Value.ToLowerInvariant();
            var spec = Spec(p.Groups[1].Value, p.Groups[2].Value, p.Groups[3].Value);
            var doc = await ReadJsonAsync(ctx).ConfigureAwait(false);
            return verb switch
            {
                "predict" => ("predict", await PredictAsync(spec, doc).ConfigureAwait(false)),
                "classify" => ("classify", ClassifyRegress.Classify(this, spec, doc)),
                _ => ("regress", ClassifyRegress.Regress(this, spec, doc)),
            };
        }
        if (HttpMethods.IsGet(method) && StatusPath().Match(path) is { Success: true } s)
        {
            if (s.Groups[1].Value.Length == 0) throw ServingException.InvalidArgument("Missing model name in request.");
            var spec = Spec(s.Groups[1].Value, s.Groups[2].Value, s.Groups[3].Value);
            return s.Groups[4].Success ? ("metadata", Metadata(spec)) : ("status", Status(spec));
        }
        throw ServingException.InvalidArgument($"Malformed request: {method} {path}");
    }

    /// <summary>The model named in a URL with an optional version.</summary>
    internal readonly record struct ModelSpec(string Name, long? Version);

    private static ModelSpec Spec(string name, string version, string label)
    {
        name = Uri.UnescapeDataString(name);
        long? v = null;
        if (version.Length > 0)
        {
            if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                throw ServingException.InvalidArgument($"Failed to convert version: {version} to numeric.");
            v = parsed;
        }
        // Version labels need a label → version map (TF Serving's model config file); there is none here.
        if (label.Length > 0)
            throw ServingException.InvalidArgument($"Unrecognized servable version label: {Uri.UnescapeDataString(label)}");
        return new ModelSpec(name, v);
    }

    /// <summary>Holds the requested model version (ServerCore::GetServableHandle's errors).</summary>
    internal ServableLease Acquire(ModelSpec spec)
    {
        if (!string.Equals(spec.Name, model.Name, StringComparison.Ordinal))
            throw ServingException.NotFound($"Servable not found for request: {(spec.Version is { } v ? $"Specific({spec.Name}, {v})" : $"Latest({spec.Name})")}");
        return model.Acquire(spec.Version);
    }

    private async Task<JsonValue> ReadJsonAsync(HttpContext ctx)
    {
        if (ctx.Request.ContentLength > maxBodyBytes)
            throw new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge);
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + n > maxBodyBytes) throw new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge);
            ms.Write(buffer, 0, n);
        }
        try
        {
            return JsonValue.Parse(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        }
        catch (JsonParseException e)
        {
            throw ServingException.InvalidArgument(ms.Length == 0 ? "JSON Parse error: The document is empty" : $"JSON Parse error: {e.Message} at offset: {e.Offset}");
        }
    }

    private async Task<string> PredictAsync(ModelSpec spec, JsonValue doc)
    {
        if (doc.Kind != JsonKind.Object) throw ServingException.InvalidArgument($"JSON Value: {doc} Is not object");
        using var lease = Acquire(spec);
        var servable = lease.Servable;
        var signatureName = TensorJson.SignatureName(doc);
        var sig = servable.GetSignature(signatureName, out var key);
        var request = TensorJson.ParsePredict(doc, signatureName, sig.Inputs);
        var outputs = await batcher.RunAsync(servable, key, request.Inputs).ConfigureAwait(false);
        return TensorJson.WritePredictResponse(outputs, request.Format);
    }

    // GetModelStatusImpl: every version the manager has seen, or the one asked for.
    private string Status(ModelSpec spec)
    {
        if (!string.Equals(spec.Name, model.Name, StringComparison.Ordinal))
            throw ServingException.NotFound($"Could not find any versions of model {spec.Name}");
        var statuses = model.Statuses.Where(s => spec.Version == null || s.Version == spec.Version).ToList();
        if (statuses.Count == 0)
            throw ServingException.NotFound(spec.Version is { } v ? $"Could not find version {v} of model {spec.Name}" : $"Could not find any versions of model {spec.Name}");
        var sb = new StringBuilder("{\n \"model_version_status\": [");
        for (int i = 0; i < statuses.Count; i++)
        {
            var s = statuses[i];
            sb.Append(i > 0 ? ",\n" : "\n").Append("  {\n   \"version\": \"").Append(s.Version.ToString(CultureInfo.InvariantCulture))
              .Append("\",\n   \"state\": \"").Append(s.State.ToString().ToUpperInvariant())
              .Append("\",\n   \"status\": {\n    \"error_code\": \"").Append(s.Error == null ? "OK" : "UNKNOWN")
              .Append("\",\n    \"error_message\": ").Append(JsonText.Quote(s.Error ?? "")).Append("\n   }\n  }");
        }
        sb.Append("\n ]\n}\n");
        return sb.ToString();
    }

    // http_rest_api_util.cc ToJsonString(GetModelMetadataResponse): model_spec, then the SignatureDefMap, with proto field
    // names and default values printed.
    private string Metadata(ModelSpec spec)
    {
        using var lease = Acquire(spec);
        var servable = lease.Servable;
        var sb = new StringBuilder("{\n\"model_spec\":{\n \"name\": ");
        sb.Append(JsonText.Quote(model.Name)).Append(",\n \"signature_name\": \"\",\n \"version\": \"")
          .Append(servable.Version.ToString(CultureInfo.InvariantCulture)).Append("\"\n}\n,\n\"metadata\": {\"signature_def\": {\n \"signature_def\": {");
        int i = 0;
        foreach (var (key, def) in servable.Signatures)
        {
            sb.Append(i++ > 0 ? ",\n  " : "\n  ").Append(JsonText.Quote(key)).Append(": ").Append(s_protoJson.Format(def));
        }
        sb.Append("\n }\n}\n}\n}\n");
        return sb.ToString();
    }
}
