using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>JSON form of <see cref="TrackingSpec"/>: the string <c>none</c>, or <c>{"mlflow": {...}}</c>.</summary>
internal sealed class TrackingSpecJsonConverter : JsonConverter<TrackingSpec>
{
    public override TrackingSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
            return reader.GetString() == "none" ? new TrackingSpec { Mlflow = null } : throw new JsonException("tracking: expected none");
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("tracking: expected an object");
        MlflowSpec? mlflow = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "mlflow") mlflow = JsonSerializer.Deserialize<MlflowSpec>(ref reader, options);
            else reader.Skip();
        }
        return new TrackingSpec { Mlflow = mlflow };
    }

    public override void Write(Utf8JsonWriter writer, TrackingSpec value, JsonSerializerOptions options)
    {
        if (value.Mlflow is null) { writer.WriteStringValue("none"); return; }
        writer.WriteStartObject();
        writer.WritePropertyName("mlflow");
        JsonSerializer.Serialize(writer, value.Mlflow, options);
        writer.WriteEndObject();
    }
}
