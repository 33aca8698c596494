using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Runner.Pipeline.Tests.Tracking;

/// <summary>The endpoints (called under the server's lock).</summary>
public sealed partial class MlflowTestServer
{
    [GeneratedRegex(@"^[/\w.\- :]*$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^tags\.([\w.]+) = '([^']*)'$")]
    private static partial Regex TagFilter();

    private (int, string) Dispatch(HttpListenerRequest request, string path, string endpoint, string body, byte[] bytes)
    {
        if (endpoint == "artifacts")
        {
            if (request.HttpMethod is not ("PUT" or "GET")) return (405, Error("BAD_REQUEST", "only PUT and GET here"));
            var relative = path["/api/2.0/mlflow-artifacts/artifacts/".Length..];
            var decoded = Uri.UnescapeDataString(relative);
            if (decoded.Split('/').Contains("..")) return (400, Error("INVALID_PARAMETER_VALUE", "Invalid path"));
            if (request.HttpMethod == "GET")
                return Artifacts.TryGetValue(decoded, out var stored)
                    ? (200, System.Text.Encoding.UTF8.GetString(stored))
                    : (404, Error("RESOURCE_DOES_NOT_EXIST", $"File {decoded} not found"));
            Artifacts[decoded] = bytes;
            return (200, "{}");
        }
        if (request.HttpMethod == "POST" && request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
            return (400, Error("BAD_REQUEST", "Bad Request. Content-Type must be one of ['application/json']"));
        JsonObject json;
        try
        {
            json = request.HttpMethod == "POST" ? JsonNode.Parse(body) as JsonObject ?? [] : [];
        }
        catch (JsonException e)
        {
            return (400, Error("INVALID_PARAMETER_VALUE", $"malformed JSON: {e.Message}"));
        }
        var query = request.QueryString;
        return (request.HttpMethod, endpoint) switch
        {
            ("GET", "experiments/get-by-name") => GetExperiment(query["experiment_name"]),
            ("POST", "experiments/create") => CreateExperiment(json),
            ("POST", "runs/create") => CreateRun(json),
            ("POST", "runs/update") => UpdateRun(json),
            ("POST", "runs/log-batch") => LogBatch(json),
            ("POST", "runs/search") => Search(json),
            ("GET", "runs/get") => GetRun(query["run_id"]),
            ("GET", "metrics/get-history") => History(query["run_id"], query["metric_key"], query["max_results"], query["page_token"]),
            _ => (404, Error("ENDPOINT_NOT_FOUND", $"No API route for {request.HttpMethod} {path}")),
        };
    }

    private (int, string) GetExperiment(string? name)
    {
        foreach (var (id, e) in Experiments)
            if (e.Name == name)
                return (200, new JsonObject
                {
                    ["experiment"] = new JsonObject { ["experiment_id"] = id, ["name"] = name, ["artifact_location"] = $"mlflow-artifacts:/{id}", ["lifecycle_stage"] = e.Stage },
                }.ToJsonString());
        return (404, Error("RESOURCE_DOES_NOT_EXIST", $"Could not find experiment with name '{name}'"));
    }

    private (int, string) CreateExperiment(JsonObject json)
    {
        var name = (string?)json["name"];
        if (string.IsNullOrEmpty(name)) return (400, Error("INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'."));
        if (Experiments.Values.Any(e => e.Name == name)) return (400, Error("RESOURCE_ALREADY_EXISTS", $"Experiment '{name}' already exists."));
        var id = (Experiments.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Experiments[id] = (name, "active");
        return (200, new JsonObject { ["experiment_id"] = id }.ToJsonString());
    }

    private (int, string) CreateRun(JsonObject json)
    {
        var experiment = (string?)json["experiment_id"] ?? "";
        if (!Experiments.ContainsKey(experiment)) return (404, Error("RESOURCE_DOES_NOT_EXIST", $"No Experiment with id={experiment} exists"));
        if (json["start_time"] is null) return (400, Error("INVALID_PARAMETER_VALUE", "this test server requires start_time (MLflow stores 0)"));
        var run = new ServerRun { Id = Guid.NewGuid().ToString("N"), ExperimentId = experiment, Name = (string?)json["run_name"] ?? "", User = (string?)json["user_id"] ?? "", StartTime = (long)json["start_time"]! };
        foreach (var t in json["tags"] as JsonArray ?? []) run.Tags[(string)t!["key"]!] = (string)t["value"]!;
        if (run.Tags.TryGetValue("mlflow.runName", out var tagName) && run.Name.Length > 0 && tagName != run.Name)
            return (400, Error("INVALID_PARAMETER_VALUE", "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values"));
        run.Tags["mlflow.runName"] = run.Name = run.Name.Length > 0 ? run.Name : tagName ?? "bouncy-cat-123";
        Runs[run.Id] = run;
        return (200, new JsonObject { ["run"] = new JsonObject { ["info"] = Info(run), ["data"] = new JsonObject() } }.ToJsonString());
    }

    // runs/get: info, tags, params and the latest metric per key (highest step, then latest timestamp), as MLflow does.
    private (int, string) GetRun(string? id)
    {
        if (!Runs.TryGetValue(id ?? "", out var run)) return (404, Error("RESOURCE_DOES_NOT_EXIST", $"Run '{id}' not found"));
        static JsonArray Pairs(Dictionary<string, string> d) => new([.. d.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value })]);
        var latest = run.Metrics.GroupBy(m => m.Key).Select(g => g.OrderBy(m => m.Step).ThenBy(m => m.Timestamp).Last());
        var metrics = new JsonArray([.. latest.Select(m => (JsonNode)new JsonObject
        {
            ["key"] = m.Key,
            ["value"] = double.IsFinite(m.Value) ? JsonValue.Create(m.Value) : JsonValue.Create(double.IsNaN(m.Value) ? "NaN" : m.Value > 0 ? "Infinity" : "-Infinity"),
            ["timestamp"] = m.Timestamp,
            ["step"] = m.Step,
        })]);
        return (200, new JsonObject
        {
            ["run"] = new JsonObject
            {
                ["info"] = Info(run),
                ["data"] = new JsonObject { ["metrics"] = metrics, ["params"] = Pairs(run.Params), ["tags"] = Pairs(run.Tags) },
            },
        }.ToJsonString());
    }

    private static JsonObject Info(ServerRun run) => new()
    {
        ["run_id"] = run.Id,
        ["run_uuid"] = run.Id,
        ["experiment_id"] = run.ExperimentId,
        ["run_name"] = run.Name,
        ["user_id"] = run.User,
        ["status"] = run.Status,
        ["start_time"] = run.StartTime,
        ["end_time"] = run.EndTime,
        ["artifact_uri"] = $"mlflow-artifacts:/{run.ExperimentId}/{run.Id}/artifacts",
        ["lifecycle_stage"] = "active",
    };

    private (int, string) UpdateRun(JsonObject json)
    {
        if (!Runs.TryGetValue((string?)json["run_id"] ?? "", out var run)) return (404, Error("RESOURCE_DOES_NOT_EXIST", $"Run '{json["run_id"]}' not found"));
        var status = (string?)json["status"];
        if (status is not ("RUNNING" or "SCHEDULED" or "FINISHED" or "FAILED" or "KILLED")) return (400, Error("INVALID_PARAMETER_VALUE", $"Invalid status {status}"));
        run.Status = status;
        run.EndTime = (long?)json["end_time"];
        return (200, new JsonObject { ["run_info"] = Info(run) }.ToJsonString());
    }

    private (int, string) LogBatch(JsonObject json)
    {
        if (!Runs.TryGetValue((string?)json["run_id"] ?? "", out var run)) return (404, Error("RESOURCE_DOES_NOT_EXIST", $"Run '{json["run_id"]}' not found"));
        var metrics = json["metrics"] as JsonArray ?? [];
        var parameters = json["params"] as JsonArray ?? [];
        var tags = json["tags"] as JsonArray ?? [];
        if (metrics.Count > 1000) return Invalid($"A batch logging request can contain at most 1000 metrics. Got {metrics.Count} metrics.");
        if (parameters.Count > 100) return Invalid($"A batch logging request can contain at most 100 params. Got {parameters.Count} params.");
        if (tags.Count > 100) return Invalid($"A batch logging request can contain at most 100 tags. Got {tags.Count} tags.");
        if (metrics.Count + parameters.Count + tags.Count > 1000) return Invalid("A batch logging request can contain at most 1000 total entities.");
        var keys = parameters.Select(p => (string?)p!["key"]).ToList();
        if (keys.Distinct().Count() != keys.Count) return Invalid("Duplicate parameter keys have been submitted.");
        foreach (var item in metrics.Concat(parameters).Concat(tags))
        {
            var key = (string?)item!["key"] ?? "";
            if (!KeyPattern().IsMatch(key) || key.StartsWith('/') || key.EndsWith('/') || key.Contains("//", StringComparison.Ordinal) || key.Split('/').Contains(".."))
                return Invalid($"Invalid name '{key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).");
        }
        foreach (var p in parameters)
        {
            var (key, value) = ((string)p!["key"]!, (string?)p["value"] ?? "");
            if (value.Length > 6000) return Invalid($"Param value '{value[..20]}…' had length {value.Length}, which exceeded length limit of 6000 (MLflow would cut it silently)");
            if (run.Params.TryGetValue(key, out var old) && old != value) return Invalid($"Changing param values is not allowed. Param with key='{key}' was already logged with value='{old}' for run ID='{run.Id}'. Attempted logging new value '{value}'.");
        }
        foreach (var t in tags)
            if (((string?)t!["value"] ?? "").Length > 8000) return Invalid("tag value over 8000 characters");
        var parsed = new List<(string, double, long, long)>();
        for (var i = 0; i < metrics.Count; i++)
        {
            var m = metrics[i]!;
            if (m["timestamp"] is null) return Invalid($"Missing value for required parameter 'metrics[{i}].timestamp'.");
            double value;
            switch (m["value"])
            {
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    value = v.GetValue<double>();
                    break;
                case JsonValue v when (string?)v is "NaN" or "Infinity" or "-Infinity":
                    value = (string?)v switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, _ => double.NegativeInfinity };
                    break;
                default:
                    return Invalid($"Invalid value for metrics[{i}].value: {m["value"]?.ToJsonString()}");
            }
            parsed.Add(((string)m["key"]!, value, (long)m["timestamp"]!, (long?)m["step"] ?? 0));
        }
        foreach (var p in parameters) run.Params[(string)p!["key"]!] = (string?)p["value"] ?? "";
        foreach (var t in tags) run.Tags[(string)t!["key"]!] = (string?)t["value"] ?? "";
        run.Metrics.AddRange(parsed);
        return (200, "{}");
    }

    private static (int, string) Invalid(string message) => (400, Error("INVALID_PARAMETER_VALUE", message));

    private (int, string) Search(JsonObject json)
    {
        var ids = (json["experiment_ids"] as JsonArray ?? []).Select(n => (string?)n).ToHashSet();
        var filter = TagFilter().Match((string?)json["filter"] ?? "");
        if (!filter.Success) return Invalid($"this test server only filters by one tag: {json["filter"]}");
        var found = Runs.Values.Where(r => ids.Contains(r.ExperimentId) && r.Tags.GetValueOrDefault(filter.Groups[1].Value) == filter.Groups[2].Value);
        return (200, new JsonObject { ["runs"] = new JsonArray([.. found.Select(r => (JsonNode)new JsonObject { ["info"] = Info(r) })]) }.ToJsonString());
    }

    private (int, string) History(string? runId, string? key, string? maxResults, string? pageToken)
    {
        if (!Runs.TryGetValue(runId ?? "", out var run)) return (404, Error("RESOURCE_DOES_NOT_EXIST", $"Run '{runId}' not found"));
        // MLflow since PR #16325: without max_results no metrics, only a token that pages forever.
        if (maxResults is null) return (200, """{"next_page_token":"eyJvZmZzZXQiOiAwfQ=="}""");
        var size = int.Parse(maxResults, System.Globalization.CultureInfo.InvariantCulture);
        var offset = pageToken is null ? 0 : int.Parse(pageToken, System.Globalization.CultureInfo.InvariantCulture);
        var all = run.Metrics.Where(m => m.Key == key).ToList();
        var page = all.Skip(offset).Take(size).Select(m => (JsonNode)new JsonObject
        {
            ["key"] = m.Key,
            ["value"] = double.IsFinite(m.Value) ? JsonValue.Create(m.Value) : JsonValue.Create(double.IsNaN(m.Value) ? "NaN" : m.Value > 0 ? "Infinity" : "-Infinity"),
            ["timestamp"] = m.Timestamp,
            ["step"] = m.Step,
        });
        var reply = new JsonObject { ["metrics"] = new JsonArray([.. page]) };
        if (offset + size < all.Count) reply["next_page_token"] = (offset + size).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (200, reply.ToJsonString());
    }
}
