using System.Runtime.CompilerServices;

namespace Runner.Pipeline.Tests.SpecLanguage;

/// <summary>Compares text with a committed golden file under Specs/; <c>RUNNER_UPDATE_GOLDEN=1</c> rewrites it in the source tree.</summary>
internal static class GoldenFile
{
    public static void AssertMatches(string relative, string actual, [CallerFilePath] string caller = "")
    {
        var source = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(caller)!, "..", "Specs", relative));
        if (Environment.GetEnvironmentVariable("RUNNER_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(source, actual);
            return;
        }
        var expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Specs", relative));
        Assert.Equal(expected, actual);
    }
}
