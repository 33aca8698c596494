using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>A built-in, generated corpus (spec keys <c>data.corpus</c>, <c>model.toy.corpus</c>).</summary>
public enum DataCorpus
{
    /// <summary>Seeded documents on planted topics (bridge, ocean, …), with per-token topic ground truth.</summary>
    [JsonStringEnumMemberName("planted-topics")] PlantedTopics,
}
