using System.Text;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>The reference table of every spec key (docs/spec-reference.md), generated from <see cref="SpecSchema"/>.</summary>
internal static class SpecReference
{
    public const string Begin = "<!-- spec-reference:begin (generated from SpecSchema; a test keeps it in sync) -->";
    public const string End = "<!-- spec-reference:end -->";

    public static string Table()
    {
        var sb = new StringBuilder();
        sb.Append("| key | type | default | meaning |\n|---|---|---|---|\n");
        foreach (var f in SpecSchema.Root.Fields.Take(3)) Row(sb, f.Name, f);
        Row(sb, "include", "path \\| list of paths", "`[]`",
            "Fragments merged under this file, in order (later wins; this file's own keys win over all); relative to this file; fragments may include others. Not in the resolved spec.");
        foreach (var f in SpecSchema.Root.Fields.Skip(3)) Row(sb, f.Name, f);
        Row(sb, "sweep", "mapping", "`{}`",
            "Keys to vary: `key.path: [values]`, one dimension each, cartesian product, first key slowest. Not in the resolved spec.");
        Row(sb, "sweep.<key.path>", "list", "—", "Values for one key path of this table (not inside lists, not `name`).");
        Row(sb, "sweep.zip", "mapping \\| list of mappings", "—",
            "Groups of `key.path: [values]` whose lists have equal lengths and vary together; each group is one dimension, at its place in the sweep.");
        return sb.ToString();
    }

    private static void Row(StringBuilder sb, string path, SchemaField f)
    {
        var meaning = f.Doc;
        if (f.When.Count > 0) meaning += " Only when " + string.Join(" and ", f.When.Select(c => c.Doc)) + ".";
        switch (f.Type)
        {
            case SchemaType.Section s:
                Row(sb, path, "mapping", f.Required ? "required" : "", meaning);
                foreach (var c in s.Fields) Row(sb, path + "." + c.Name, c);
                return;
            case SchemaType.Tracking t:
                Row(sb, path, t.Doc, "`mlflow: {…}`", meaning);
                foreach (var c in t.Body.Fields) Row(sb, path + "." + c.Name, c);
                return;
            case SchemaType.List { Item: SchemaType.Section item } list:
                Row(sb, path, list.Doc, Default(f), meaning);
                foreach (var c in item.Fields) Row(sb, path + "[]." + c.Name, c);
                return;
            case SchemaType.List { Item: SchemaType.HookScript hook } list:
                Row(sb, path, list.Doc, Default(f), meaning);
                foreach (var c in hook.Body.Fields) Row(sb, path + "[]." + c.Name, c);
                return;
            default:
                Row(sb, path, f.Type.Doc, f.Required ? "required" : Default(f), meaning);
                return;
        }
    }

    private static string Default(SchemaField f) => f.DefaultDoc ?? f.Default switch
    {
        null => "`null`",
        JsonValue v => "`" + ResolvedSpecWriter.ToYaml(new JsonObject { ["x"] = v.DeepClone() })[3..].TrimEnd() + "`",
        JsonArray => "`[]`",
        JsonObject => "`{}`",
        _ => "",
    };

    private static void Row(StringBuilder sb, string path, string type, string @default, string meaning) =>
        sb.Append("| `").Append(path).Append("` | ").Append(type).Append(" | ").Append(@default.Length == 0 ? "—" : @default)
          .Append(" | ").Append(meaning.Replace("|", "\\|")).Append(" |\n");
}
