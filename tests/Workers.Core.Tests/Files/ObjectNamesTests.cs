using Workers.Destinations.Files.Paths;

namespace Workers.Core.Tests.Files;

public class ObjectNamesTests
{
    [Theory]
    [InlineData("test_some_table")]
    [InlineData("ünïcødé_表")]
    [InlineData("a-b.c")]
    public void Segment_OfAnOrdinaryName_KeepsIt(string name) => Assert.Equal(name, ObjectNames.Segment(name));

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("../../etc/passwd")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("nul\0byte")]
    [InlineData(".hidden")]
    [InlineData("con:colon?*<>|\"")]
    public void Segment_OfAHostileName_IsOneHarmlessSegment(string name)
    {
        var segment = ObjectNames.Segment(name);

        Assert.DoesNotContain('/', segment);
        Assert.DoesNotContain('\\', segment);
        Assert.False(segment.StartsWith('.'), segment);
        Assert.All(segment, c => Assert.True(char.IsLetterOrDigit(c) || c is '_' or '-' or '.', segment));
        Assert.NotEqual(ObjectNames.Segment(name + "x"), segment);
    }

    [Fact]
    public void Segment_OfNamesThatSanitiseAlike_Differ() => Assert.NotEqual(ObjectNames.Segment("a/b"), ObjectNames.Segment("a\\b"));

    [Fact]
    public void Segment_OfALongName_FitsAFileName()
    {
        var segment = ObjectNames.Segment(new string('表', 300));

        // Room left for "-{{BATCH_ID}}.parquet.gz" in the same file name.
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(segment) <= 255 - 48);
        Assert.NotEqual(ObjectNames.Segment(new string('表', 301)), segment);
    }
}
