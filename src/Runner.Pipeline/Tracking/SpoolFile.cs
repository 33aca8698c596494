using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runner.Pipeline.Tracking;

/// <summary>Reads and atomically writes the JSON spool files (<c>.tracking/state.json</c>, sweep files).</summary>
internal static class SpoolFile
{
    /// <summary>The folder inside a run folder (or an experiment folder, for sweeps) holding tracking state.</summary>
    public const string Folder = ".tracking";

    /// <summary>A run folder's spool: what is to be logged where and how far it got.</summary>
    public const string StateFile = "state.json";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The spool of a run folder.</summary>
    public static string StatePath(string runDirectory) => Path.Combine(runDirectory, Folder, StateFile);

    /// <summary>The file of sweep <paramref name="token"/> whose points live in <paramref name="experimentDirectory"/>.</summary>
    public static string SweepPath(string experimentDirectory, string token) => Path.Combine(experimentDirectory, Folder, "sweeps", token + ".json");

    /// <summary>Reads a spool file; null when missing or unreadable.</summary>
    public static T? Read<T>(string path) where T : class
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes through a temp file and a rename.</summary>
    public static void Write<T>(string path, T value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(value, Options) + "\n");
        File.Move(temp, path, overwrite: true);
    }
}
