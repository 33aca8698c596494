namespace Runner.Core.Models;

/// <summary>A model checkpoint folder found on disk, and how it was found.</summary>
/// <param name="Directory">The absolute folder holding config.json and the weights (for the cache: the snapshot folder, whose files may be symlinks into blobs/).</param>
/// <param name="Id">The Hugging Face id (e.g. <c>gpt2</c>, <c>EleutherAI/pythia-70m</c>) when resolved from the cache; null for a path.</param>
/// <param name="Revision">The snapshot's commit hash (its folder name under snapshots/) for ids; null for paths.</param>
/// <param name="Origin"><c>path</c> (a local folder) or <c>hf-cache</c> (the local Hugging Face hub cache).</param>
public sealed record ResolvedModel(string Directory, string? Id, string? Revision, string Origin);
