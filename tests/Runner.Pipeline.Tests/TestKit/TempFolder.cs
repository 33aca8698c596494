namespace Runner.Pipeline.Tests.TestKit;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    /// <summary>Creates it.</summary>
    public TempFolder() => Directory.CreateDirectory(Path);

    /// <summary>The folder.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "runner-tests", Guid.NewGuid().ToString("N")[..12]);

    /// <summary>A path inside it.</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Deletes it.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
