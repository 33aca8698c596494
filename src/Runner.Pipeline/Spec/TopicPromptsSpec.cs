namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>steer.topic_prompts</c>: openings of held-out planted documents on <c>steer.topic</c>.</summary>
public sealed record TopicPromptsSpec
{
    /// <summary>Number of prompts (documents).</summary>
    public int Count { get; init; } = 50;

    /// <summary>Tokens of each opening, the document marker included.</summary>
    public int Tokens { get; init; } = 16;
}
