using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>How training activations reach the trainer (spec key <c>data.store</c>).</summary>
public enum DataStore
{
    /// <summary>capture writes data.tokens rows as shards; train reads them (epochs when sae.tokens is larger).</summary>
    [JsonStringEnumMemberName("disk")] Disk,

    /// <summary>train runs the model itself and trains on fresh rows through a shuffle buffer; nothing is stored.</summary>
    [JsonStringEnumMemberName("stream")] Stream,
}
