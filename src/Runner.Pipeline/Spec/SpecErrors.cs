namespace Runner.Pipeline.Spec;

/// <summary>Collects errors while a spec is loaded; nothing stops at the first one.</summary>
internal sealed class SpecErrors
{
    private readonly List<SpecError> _errors = [];

    public int Count => _errors.Count;

    public void Add(SpecNode node, string path, string message) => Add(node.Source, node.Line, node.Column, path, message);

    public void Add(SpecSource source, long line, long column, string path, string message) =>
        _errors.Add(new SpecError
        {
            Location = source.Location((int)line, (int)column),
            File = source.IsOverride ? null : source.Display,
            Line = source.IsOverride ? 0 : (int)line,
            Column = source.IsOverride ? 0 : (int)column,
            KeyPath = path,
            Message = message,
            SourceOrder = source.Order,
        });

    /// <summary>An error about a whole file (it cannot be read).</summary>
    public void AddFile(string display, int order, string message) =>
        _errors.Add(new SpecError { Location = display, File = display, KeyPath = "", Message = message, SourceOrder = order });

    public void AddRange(IEnumerable<SpecError> errors) => _errors.AddRange(errors);

    public IReadOnlyList<SpecError> All => _errors;

    /// <summary>Distinct errors in file order: files in load order, then overrides; then line and column.</summary>
    public IReadOnlyList<SpecError> Sorted()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return _errors
            .Where(e => seen.Add(e.ToString()))
            .Select((e, i) => (e, i))
            .OrderBy(p => p.e.SourceOrder).ThenBy(p => p.e.Line).ThenBy(p => p.e.Column).ThenBy(p => p.i)
            .Select(p => p.e)
            .ToList();
    }
}
