using System.Text.Json.Nodes;
using Runner.Pipeline.Caching;

namespace Runner.Pipeline.Tests.Caching;

public sealed class CacheManifestTests
{
    private static CacheManifest Sample() => new()
    {
        Stage = "train",
        Key = new string('a', 64),
        Version = 3,
        Created = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        Inputs = new Dictionary<string, string> { ["capture"] = new string('b', 64) },
        Environment = "libtorch=2.6.0;shim=1",
        Slice = JsonNode.Parse("""{"sae":{"k":32}}"""),
        Files = [new ManifestFile("sae_weights.safetensors", 5, new string('c', 64))],
        Metrics = new Dictionary<string, double> { ["mse"] = 0.125, ["dead"] = double.NaN },
        Notes = ["trained"],
    };

    [Fact]
    public void Manifest_text_is_pinned()
    {
        // A golden file: the on-disk format other tools and older Runners read. The checksum was checked
        // independently (Python: sha256 of json.dumps(body, sort_keys=True, separators=(",", ":"))).
        Assert.Equal($$"""
            {
              "format": 1,
              "stage": "train",
              "key": "{{new string('a', 64)}}",
              "version": 3,
              "created": "2025-01-02T03:04:05.0000000Z",
              "inputs": {
                "capture": "{{new string('b', 64)}}"
              },
              "environment": "libtorch=2.6.0;shim=1",
              "slice": {
                "sae": {
                  "k": 32
                }
              },
              "files": [
                {
                  "path": "sae_weights.safetensors",
                  "size": 5,
                  "sha256": "{{new string('c', 64)}}"
                }
              ],
              "metrics": {
                "dead": "NaN",
                "mse": 0.125
              },
              "notes": [
                "trained"
              ],
              "checksum": "c5761c139206f7a3c577c38ac96c1fd630a5b8df8e46f2b510211747615ad8c4"
            }

            """, Sample().ToText());
    }

    [Fact]
    public void Parse_reads_back_what_was_written()
    {
        var parsed = CacheManifest.Parse(Sample().ToText());
        Assert.Equal(Sample().ToText(), parsed.ToText());
        Assert.True(double.IsNaN(parsed.Metrics["dead"]));
    }

    [Theory]
    [InlineData("""{"format":1}""", "no stage")]
    [InlineData("[1]", "not a JSON object")]
    [InlineData("""{"format":2,"stage":"t","key":"k","version":1,"created":"2025-01-01T00:00:00Z","inputs":{},"files":[],"metrics":{},"checksum":"x"}""", "format 2, this Runner reads 1")]
    [InlineData("""{"format":1,"stage":"t","key":"k","version":1,"created":"2025-01-01T00:00:00Z","inputs":{},"files":[{"path":"../x","size":1,"sha256":"s"}],"metrics":{},"checksum":"x"}""", "file path '../x' is not a plain relative path")]
    public void Parse_rejects_malformed_manifests(string text, string message)
    {
        Assert.StartsWith(message, Assert.Throws<FormatException>(() => CacheManifest.Parse(text)).Message);
    }
}
