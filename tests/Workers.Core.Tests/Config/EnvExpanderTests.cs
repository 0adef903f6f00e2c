using Workers.Core.Config;

namespace Workers.Core.Tests.Config;

public class EnvExpanderTests
{
    const string File = "dest.yml";

    static readonly Dictionary<string, string> Environment = new(StringComparer.Ordinal)
    {
        ["PG_URL"] = "Host=db;Password=s3cret",
        ["EMPTY"] = "",
        ["NAME"] = "pg",
    };

    [Fact]
    public void Expand_KnownVariable_IsReplacedByItsValue()
    {
        Assert.Equal("connection_string: Host=db;Password=s3cret", Expand("connection_string: ${PG_URL}"));
    }

    [Fact]
    public void Expand_SeveralVariablesInOneLine_AreAllReplaced()
    {
        Assert.Equal("pg-Host=db;Password=s3cret-pg", Expand("${NAME}-${PG_URL}-${NAME}"));
    }

    [Fact]
    public void Expand_VariableSetToEmpty_IsReplacedByNothing()
    {
        Assert.Equal("a: ''", Expand("a: '${EMPTY}'"));
    }

    [Fact]
    public void Expand_TextWithoutVariables_IsUnchanged()
    {
        const string text = "kind: source\nspec:\n  name: $name\n  cost: 5$\n  braces: {a: b}\n";

        Assert.Equal(text, Expand(text));
    }

    [Fact]
    public void Expand_DoubleDollarBrace_WritesALiteralDollarBraceWithoutLookingItUp()
    {
        var looked = new List<string>();

        var expanded = EnvExpander.Expand("template: $${PG_URL} and ${NAME}", name =>
        {
            looked.Add(name);
            return Environment.GetValueOrDefault(name);
        }, File);

        Assert.Equal("template: ${PG_URL} and pg", expanded);
        Assert.Equal(["NAME"], looked);
    }

    [Fact]
    public void Expand_ValueContainingDollarBrace_IsNotExpandedAgain()
    {
        var expanded = EnvExpander.Expand("a: ${OUTER}", name => name == "OUTER" ? "${PG_URL}" : throw new InvalidOperationException(name), File);

        Assert.Equal("a: ${PG_URL}", expanded);
    }

    [Fact]
    public void Expand_UnsetVariable_NamesFileLineAndVariable()
    {
        var error = Assert.Throws<ConfigException>(() => Expand("kind: destination\nspec:\n  name: ${NAME}\n  password: ${PG_PASSWORD}\n"));

        Assert.Equal("dest.yml: line 4: environment variable PG_PASSWORD is not set (referenced as ${PG_PASSWORD})", error.Message);
    }

    [Fact]
    public void Expand_UnsetVariableOnFirstLine_SaysLineOne()
    {
        var error = Assert.Throws<ConfigException>(() => Expand("${MISSING}: x"));

        Assert.StartsWith("dest.yml: line 1: environment variable MISSING is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expand_UnsetVariable_DoesNotLeakOtherValues()
    {
        var error = Assert.Throws<ConfigException>(() => Expand("a: ${PG_URL}\nb: ${MISSING}\n"));

        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expand_UnterminatedReference_NamesTheLineAndTheEscape()
    {
        var error = Assert.Throws<ConfigException>(() => Expand("a: 1\nb: ${PG_URL\n"));

        Assert.Equal("dest.yml: line 2: unterminated ${ (write $${ for a literal ${)", error.Message);
    }

    static string Expand(string text) => EnvExpander.Expand(text, name => Environment.GetValueOrDefault(name), File);
}
