using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>A steering setting's prompts (spec keys <c>steer.clamps[].on</c>, <c>steer.ablate_on</c>).</summary>
public enum PromptSet
{
    /// <summary><c>steer.prompts</c>.</summary>
    [JsonStringEnumMemberName("prompts")] Prompts,

    /// <summary><c>steer.topic_prompts</c>: openings of held-out documents on <c>steer.topic</c>.</summary>
    [JsonStringEnumMemberName("topic_prompts")] TopicPrompts,
}
