using Workers.Core.Contract;
using Workers.Destinations.Files.Paths;

namespace Workers.Core.Tests.Files;

public class PathTemplateTests
{
    static readonly SyncInfo Sync = new(Guid.Parse("11111111-2222-3333-4444-555555555555"), "src", new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc));
    static readonly Guid Batch = Guid.Parse("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");

    [Theory]
    [InlineData("{{TABLE}}/{{BATCH_ID}}.{{FORMAT}}", "t1/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.csv.gz")]
    [InlineData("{{TABLE}}/{{UUID}}.{{FORMAT}}", "t1/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.csv.gz")]
    [InlineData("{{YEAR}}/{{MONTH}}/{{DAY}}/{{HOUR}}{{MINUTE}}/{{TABLE}}-{{SYNC_ID}}-{{BATCH_ID}}", "2026/03/04/0506/t1-11111111-2222-3333-4444-555555555555-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")]
    [InlineData("prefix", "prefix/t1/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.csv.gz")]
    public void Render_FromTheBatchAndItsSync_IsTheSameEveryTime(string template, string expected)
    {
        var path = PathTemplate.Parse(template);

        Assert.Equal(expected, path.Render("t1", "csv.gz", Batch, Sync));
        Assert.Equal(expected, path.Render("t1", "csv.gz", Batch, Sync));
    }

    [Theory]
    [InlineData("out/{{TABLE}}/{{BATCH_ID}}.csv", "out", "{{TABLE}}/{{BATCH_ID}}.csv")]
    [InlineData("/data/out/x-{{TABLE}}/{{BATCH_ID}}.csv", "/data/out", "x-{{TABLE}}/{{BATCH_ID}}.csv")]
    [InlineData("{{TABLE}}/{{BATCH_ID}}.csv", ".", "{{TABLE}}/{{BATCH_ID}}.csv")]
    [InlineData("out", "out", "{{TABLE}}/{{BATCH_ID}}.{{FORMAT}}")]
    public void SplitRoot_TheDirectoryBeforeAnyPlaceholder_IsTheRoot(string template, string root, string keys)
    {
        var (actualRoot, actualKeys) = PathTemplate.Parse(template).SplitRoot();

        Assert.Equal(root, actualRoot);
        Assert.Equal(keys, actualKeys.Text);
    }

    [Fact]
    public void Matcher_FindsTheTablesObjectsOnly()
    {
        var (prefix, pattern) = PathTemplate.Parse("{{YEAR}}/{{TABLE}}/{{BATCH_ID}}.{{FORMAT}}").Matcher("t1", "json");

        Assert.Equal("", prefix);
        Assert.Matches(pattern, "2026/t1/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.json");
        Assert.DoesNotMatch(pattern, "2026/t10/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.json");
        Assert.DoesNotMatch(pattern, "2026/t1/aaaaaaaa.json.gz");
        Assert.DoesNotMatch(pattern, "2026/t1/sub/aaaaaaaa.json");
    }
}
