using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>When an F# hook script runs (spec key <c>hooks[].when</c>).</summary>
public enum HookWhen
{
    /// <summary>After the train stage.</summary>
    [JsonStringEnumMemberName("after_train")] AfterTrain,

    /// <summary>After the evaluate stage.</summary>
    [JsonStringEnumMemberName("after_evaluate")] AfterEvaluate,

    /// <summary>After the steer stage.</summary>
    [JsonStringEnumMemberName("after_steer")] AfterSteer,

    /// <summary>After every other stage.</summary>
    [JsonStringEnumMemberName("end")] End,
}
