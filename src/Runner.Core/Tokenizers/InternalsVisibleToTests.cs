using System.Runtime.CompilerServices;

// The tokenizer tests check the pieces (normalizer, byte map, BPE merges, pre-tokenizer regexes) directly.
[assembly: InternalsVisibleTo("Runner.Core.Tests")]
