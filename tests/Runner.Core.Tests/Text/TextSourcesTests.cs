using System.Text;
using Runner.Core.Data.Text;
using Runner.Core.Tests.IO;

namespace Runner.Core.Tests.Text;

public sealed class TextSourcesTests
{
    private static TempFolder Tree(params string[] files)
    {
        var temp = new TempFolder();
        foreach (var file in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(temp[file])!);
            File.WriteAllText(temp[file], file);
        }
        return temp;
    }

    private static string[] Relative(TempFolder temp, IEnumerable<string> paths) =>
        paths.Select(p => Path.GetRelativePath(temp.Path, p)).ToArray();

    [Fact]
    public void Star_question_mark_and_brackets_match_within_one_folder()
    {
        using var temp = Tree("a1.txt", "a2.txt", "b1.txt", "ab.txt", "a1.md", "sub/a3.txt", ".hidden.txt");
        Assert.Equal(["a1.txt", "a2.txt", "ab.txt", "b1.txt"], Relative(temp, TextSources.ExpandGlobs([temp["*.txt"]])));
        Assert.Equal(["a1.txt", "a2.txt", "ab.txt"], Relative(temp, TextSources.ExpandGlobs([temp["a?.txt"]])));
        Assert.Equal(["a1.txt", "b1.txt"], Relative(temp, TextSources.ExpandGlobs([temp["[ab]1.txt"]])));
        Assert.Equal(["a1.txt", "a2.txt"], Relative(temp, TextSources.ExpandGlobs([temp["a[0-9].txt"]])));
        Assert.Equal(["b1.txt"], Relative(temp, TextSources.ExpandGlobs([temp["[!a]*.txt"]])));
        Assert.Equal([".hidden.txt"], Relative(temp, TextSources.ExpandGlobs([temp[".*.txt"]])));
    }

    [Fact]
    public void Double_star_matches_zero_or_more_folders()
    {
        using var temp = Tree("top.txt", "x/one.txt", "x/y/two.txt", "x/y/two.md", "z/three.txt", ".git/four.txt");
        Assert.Equal(["top.txt", "x/one.txt", "x/y/two.txt", "z/three.txt"], Relative(temp, TextSources.ExpandGlobs([temp["**/*.txt"]])));
        Assert.Equal(["x/one.txt", "x/y/two.txt"], Relative(temp, TextSources.ExpandGlobs([temp["x/**/*.txt"]])));
        Assert.Equal(["x/y/two.md", "x/y/two.txt"], Relative(temp, TextSources.ExpandGlobs([temp["x/**/two.*"]])));
        Assert.Equal(["x/one.txt", "x/y/two.md", "x/y/two.txt"], Relative(temp, TextSources.ExpandGlobs([temp["x/**"]])));
        Assert.Equal(["x/y/two.txt"], Relative(temp, TextSources.ExpandGlobs([temp["*/y/two.txt"]])));
    }

    [Fact]
    public void Results_are_sorted_ordinally_and_each_file_appears_once()
    {
        using var temp = Tree("b.txt", "B.txt", "a.txt", "a.jsonl");
        Assert.Equal(["B.txt", "a.jsonl", "a.txt", "b.txt"],
            Relative(temp, TextSources.ExpandGlobs([temp["b.txt"], temp["*.txt"], temp["a.*"], temp["[aB].txt"]])));
    }

    [Fact]
    public void A_pattern_that_matches_nothing_is_an_error_naming_it()
    {
        using var temp = Tree("a.txt");
        var pattern = temp["*.jsonl"];
        var e = Assert.Throws<RunnerException>(() => TextSources.ExpandGlobs([temp["a.txt"], pattern]));
        Assert.Equal($"data: the file pattern '{pattern}' matches no file", e.Message);
        Assert.Throws<RunnerException>(() => TextSources.ExpandGlobs([temp["missing/**/*.txt"]]));
        Assert.Throws<RunnerException>(() => TextSources.ExpandGlobs([temp["nope.txt"]]));
        Assert.Contains("is not a valid glob", Assert.Throws<RunnerException>(() => TextSources.ExpandGlobs([temp["[z-a].txt"]])).Message);
    }

    [Fact]
    public void Documents_are_whole_text_files_then_jsonl_lines_in_file_and_line_order()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["b.txt"], "second file\nwith two lines");
        File.WriteAllBytes(temp["a.txt"], [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes("first file, with a BOM")]);
        File.WriteAllText(temp["x.jsonl"], "{\"text\": \"line one\", \"id\": 1}\n\n   \n{\"text\": \"line \\\"two\\\" ünïcode\"}\r\n");
        File.WriteAllBytes(temp["w.jsonl"], [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes("{\"text\": \"bom line\"}")]);
        var docs = TextSources.Documents(new TextSourceOptions { Files = [temp["*.txt"]], Jsonl = [temp["*.jsonl"]] }).ToList();
        Assert.Equal(["first file, with a BOM", "second file\nwith two lines", "bom line", "line one", "line \"two\" ünïcode"], docs);
    }

    [Fact]
    public void The_text_field_is_configurable()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["d.jsonl"], "{\"content\": \"hello\", \"text\": 3}\n");
        Assert.Equal(["hello"], TextSources.Documents(new TextSourceOptions { Jsonl = [temp["d.jsonl"]], TextField = "content" }));
    }

    [Theory]
    [InlineData("{\"text\": \"ok\"}\n{\"text\": \"ok\"}\n{not json}\n", 3, "not valid JSON")]
    [InlineData("{\"text\": \"ok\"}\n[\"text\"]\n", 2, "expected a JSON object with a string field 'text', got an array")]
    [InlineData("\n{\"body\": \"x\", \"id\": 2}\n", 2, "the object has no field 'text' (it has: body, id)")]
    [InlineData("{\"text\": 42}\n", 1, "the field 'text' is a number, expected a string")]
    [InlineData("{\"text\": null}\n", 1, "the field 'text' is null, expected a string")]
    [InlineData("{\"text\": \"ok\"} trailing\n", 1, "not valid JSON")]
    public void A_malformed_jsonl_line_is_an_error_naming_file_and_line(string content, int line, string expected)
    {
        using var temp = new TempFolder();
        var file = temp["bad.jsonl"];
        File.WriteAllText(file, content);
        var documents = TextSources.Documents(new TextSourceOptions { Jsonl = [file] });
        var e = Assert.Throws<RunnerException>(() => documents.ToList());
        Assert.StartsWith($"{file}:{line}: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Invalid_utf8_is_an_error_naming_the_file()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp["bin.txt"], [0x68, 0x69, 0xFF, 0xFE, 0x00]);
        File.WriteAllBytes(temp["bin.jsonl"], [.. Encoding.UTF8.GetBytes("{\"text\": \"a\"}\n{\"text\": \""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}\n")]);
        var text = Assert.Throws<RunnerException>(() => TextSources.Documents(new TextSourceOptions { Files = [temp["bin.txt"]] }).ToList());
        Assert.StartsWith($"{temp["bin.txt"]}: not UTF-8 text", text.Message);
        var jsonl = Assert.Throws<RunnerException>(() => TextSources.Documents(new TextSourceOptions { Jsonl = [temp["bin.jsonl"]] }).ToList());
        Assert.StartsWith($"{temp["bin.jsonl"]}:2: not UTF-8 text", jsonl.Message);
    }

    [Fact]
    public void Glob_errors_come_on_the_call_not_on_enumeration()
    {
        using var temp = new TempFolder();
        Assert.Throws<RunnerException>(() => TextSources.Documents(new TextSourceOptions { Files = [temp["*.txt"]] }));
        Assert.Contains("data.files or data.jsonl", Assert.Throws<RunnerException>(() => TextSources.Documents(new TextSourceOptions())).Message);
    }
}
