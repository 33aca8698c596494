using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>JSON form of <see cref="FeatureRef"/>: a number, or the string <c>auto:TOPIC</c> / <c>random</c>.</summary>
internal sealed class FeatureRefJsonConverter : JsonConverter<FeatureRef>
{
    public override FeatureRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => new FeatureRef { Index = reader.GetInt32() },
            JsonTokenType.String => FeatureRef.TryParse(reader.GetString()!)
                ?? throw new JsonException($"not a feature reference: {reader.GetString()}"),
            _ => throw new JsonException($"not a feature reference: {reader.TokenType}"),
        };

    public override void Write(Utf8JsonWriter writer, FeatureRef value, JsonSerializerOptions options)
    {
        if (value.Index is { } i) writer.WriteNumberValue(i);
        else writer.WriteStringValue(value.ToString());
    }
}
