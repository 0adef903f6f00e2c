using Workers.Core.Config;
using Workers.Core.Schema;
using Workers.Core.Sources;
using Workers.Core.Sources.Test;

namespace Workers.Core.Tests.Config;

public class SourceCatalogTests
{
    static readonly string[] Available = ["test_some_table", "test_sub_table", "test_testdata_table", "users", "user_roles"];

    [Fact]
    public void Create_TestPath_BuildsTheTestSourceWithItsTables()
    {
        var source = SourceCatalog.Create(SourceFrom("path: test", "{ num_rows: 5, seed: 2 }"));

        Assert.IsType<TestSource>(source);
        Assert.Equal(
            [TestSource.SomeTable, TestSource.SubTable, TestSource.TestDataTable],
            source.Tables.Select(t => t.Metadata[CqMetadata.TableName]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Create_UnknownPath_NamesTheFieldAndTheBuiltIns()
    {
        var error = Assert.Throws<ConfigException>(() => SourceCatalog.Create(SourceFrom("path: postgresql", "{}")));

        Assert.Equal("src.yml: document 1 (source \"demo\"): spec.path: unknown source 'postgresql' (built in: test)", error.Message);
    }

    [Theory]
    [InlineData("{ num_rows: -1 }", "num_rows: must be zero or more, got -1")]
    [InlineData("{ num_sub_rows: -2 }", "num_sub_rows: must be zero or more, got -2")]
    [InlineData("{ batch_size: 0 }", "batch_size: must be between 1 and 1000000, got 0")]
    [InlineData("{ num_rows: lots }", "num_rows: must be an integer, got 'lots'")]
    [InlineData("{ rows: 5 }", "rows: unknown field (known: batch_size, num_rows, num_sub_rows, seed)")]
    public void Create_InvalidTestSpec_NamesTheNestedField(string spec, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => SourceCatalog.Create(SourceFrom("path: test", spec)));

        Assert.Equal($"src.yml: document 1 (source \"demo\"): spec.spec.{expected}", error.Message);
    }

    [Fact]
    public void Select_Star_SelectsEveryTableInOrder()
    {
        Assert.Equal(Available, TableSelector.Select(Available, ["*"], []));
    }

    [Fact]
    public void Select_PrefixGlob_SelectsOnlyMatchingTables()
    {
        Assert.Equal(["test_some_table", "test_sub_table", "test_testdata_table"], TableSelector.Select(Available, ["test_*"], []));
    }

    [Fact]
    public void Select_SkipTables_RemovesMatchesFromTheSelection()
    {
        Assert.Equal(["test_some_table", "test_testdata_table"], TableSelector.Select(Available, ["test_*"], ["test_sub_table"]));
        Assert.Equal(["users"], TableSelector.Select(Available, ["*"], ["test_*", "*_roles"]));
    }

    [Fact]
    public void Select_SeveralPatterns_SelectsTheUnionOnce()
    {
        Assert.Equal(["test_sub_table", "users", "user_roles"], TableSelector.Select(Available, ["user*", "test_sub_table", "users"], []));
    }

    [Fact]
    public void Select_NoPatterns_SelectsNothing()
    {
        Assert.Empty(TableSelector.Select(Available, [], []));
    }

    [Theory]
    [InlineData("users", "users", true)]
    [InlineData("users", "users_2", false)]
    [InlineData("users", "Users", false)]
    [InlineData("*_table", "test_sub_table", true)]
    [InlineData("test_*_table", "test_sub_table", true)]
    [InlineData("test_*_table", "test_sub_tables", false)]
    [InlineData("t.st", "test", false)]
    [InlineData("t.st", "t.st", true)]
    [InlineData("a+b", "a+b", true)]
    [InlineData("a+b", "aab", false)]
    [InlineData("*", "", true)]
    public void Matches_Glob_TreatsOnlyStarAsAWildcard(string pattern, string table, bool matches)
    {
        Assert.Equal(matches, TableSelector.Matches(pattern, table));
    }

    static SourceSpec SourceFrom(string pathLine, string spec) => Assert.Single(ConfigLoader.Parse(
        $"kind: source\nspec:\n  name: demo\n  {pathLine}\n  destinations: [pg]\n  spec: {spec}\n",
        "src.yml",
        _ => null).Sources);
}
