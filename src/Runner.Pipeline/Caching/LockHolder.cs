using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Caching;

/// <summary>What a lock file says about its holder.</summary>
public sealed record LockHolder
{
    /// <summary>Random id of this acquisition; only its owner deletes the file.</summary>
    public required string Token { get; init; }

    /// <summary>Host name of the holder (<see cref="Environment.MachineName"/>).</summary>
    public required string Host { get; init; }

    /// <summary>Process id of the holder on <see cref="Host"/>.</summary>
    public required int Pid { get; init; }

    /// <summary>The holder's start marker (Linux: start time in ticks since boot), to detect reused pids.</summary>
    public string ProcessStart { get; init; } = "";

    /// <summary>When the lock was taken (holder's clock).</summary>
    public DateTimeOffset Acquired { get; init; }

    /// <summary>Heartbeat counter; it changes on every heartbeat.</summary>
    public long Beat { get; init; }

    /// <summary>A placeholder for a lock file that cannot be read (being written, or garbage).</summary>
    public static LockHolder Unknown { get; } = new() { Token = "", Host = "?", Pid = 0 };

    /// <summary>The lock file's bytes.</summary>
    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(new JsonObject
    {
        ["token"] = Token,
        ["host"] = Host,
        ["pid"] = Pid,
        ["process_start"] = ProcessStart,
        ["acquired"] = Acquired.UtcDateTime.ToString("O"),
        ["heartbeat"] = DateTime.UtcNow.ToString("O"),
        ["beat"] = Beat,
    });

    /// <summary>Parses a lock file; null when it is not a complete lock record.</summary>
    public static LockHolder? TryParse(byte[] bytes)
    {
        try
        {
            if (JsonNode.Parse(bytes) is not JsonObject o) return null;
            return new LockHolder
            {
                Token = (string?)o["token"] ?? "",
                Host = (string?)o["host"] ?? "?",
                Pid = (int?)o["pid"] ?? 0,
                ProcessStart = (string?)o["process_start"] ?? "",
                Acquired = DateTimeOffset.TryParse((string?)o["acquired"], null, System.Globalization.DateTimeStyles.RoundtripKind, out var a) ? a : default,
                Beat = (long?)o["beat"] ?? 0,
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>"pid 123 on host node7".</summary>
    public override string ToString() => Pid > 0 ? $"pid {Pid} on host {Host}" : "an unknown process";
}
