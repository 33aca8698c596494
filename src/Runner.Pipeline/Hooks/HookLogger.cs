using Runner.Pipeline.Stages;

namespace Runner.Pipeline.Hooks;

/// <summary>A hook's logger: lines go to the run's progress output, prefixed with the script's name.</summary>
public sealed class HookLogger
{
    private readonly StageContext _stage;
    private readonly string _script;

    internal HookLogger(StageContext stage, string script)
    {
        _stage = stage;
        _script = script;
    }

    /// <summary>An informational line.</summary>
    public void Info(string text) => _stage.Log(MessageLevel.Info, $"{_script}: {text}");

    /// <summary>A warning.</summary>
    public void Warn(string text) => _stage.Log(MessageLevel.Warning, $"{_script}: {text}");
}
