using Workers.Core.Config;
using Workers.Destinations.PostgreSql;

namespace Workers.Core.Tests.Config;

/// <summary>
/// <c>${ENV}</c> is expanded in scalar values after the YAML is parsed: whatever a variable holds stays one value
/// (issue 11 item 3), tested through the loader as a user's file goes.
/// </summary>
public class EnvExpanderTests
{
    const string File = "dest.yml";

    static readonly Dictionary<string, string> Environment = new(StringComparer.Ordinal)
    {
        ["PG_URL"] = "Host=db;Password=s3cret",
        ["EMPTY"] = "",
        ["NAME"] = "pg",
    };

    static string Expand(string text) => EnvExpander.ExpandValue(text, "connection_string", name => Environment.GetValueOrDefault(name), $"{File}: line 1");

    [Fact]
    public void Expand_KnownVariable_IsReplacedByItsValue()
    {
        Assert.Equal("Host=db;Password=s3cret", Expand("${PG_URL}"));
    }

    [Fact]
    public void Expand_SeveralVariablesInOneValue_AreAllReplaced()
    {
        Assert.Equal("pg-Host=db;Password=s3cret-pg", Expand("${NAME}-${PG_URL}-${NAME}"));
    }

    [Fact]
    public void Expand_VariableSetToEmpty_IsReplacedByNothing()
    {
        Assert.Equal("", Expand("${EMPTY}"));
    }

    [Fact]
    public void Expand_TextWithoutVariables_IsUnchanged()
    {
        Assert.Equal("$name costs 5$ {a: b}", Expand("$name costs 5$ {a: b}"));
    }

    [Fact]
    public void Expand_DoubleDollarBrace_WritesALiteralDollarBraceWithoutLookingItUp()
    {
        var looked = new List<string>();

        var expanded = EnvExpander.ExpandValue("$${PG_URL} and ${NAME}", "template", name =>
        {
            looked.Add(name);
            return Environment.GetValueOrDefault(name);
        }, File);

        Assert.Equal("${PG_URL} and pg", expanded);
        Assert.Equal(["NAME"], looked);
    }

    [Fact]
    public void Expand_ValueContainingDollarBrace_IsNotExpandedAgain()
    {
        var expanded = EnvExpander.ExpandValue("${OUTER}", "a", name => name == "OUTER" ? "${PG_URL}" : throw new InvalidOperationException(name), File);

        Assert.Equal("${PG_URL}", expanded);
    }

    [Fact]
    public void Parse_UnsetVariable_NamesFileLineAndVariable()
    {
        var error = Assert.Throws<ConfigException>(() => Load("kind: destination\nspec:\n  name: ${NAME}\n  path: sqlite\n  spec:\n    connection_string: ${PG_PASSWORD}\n"));

        Assert.Equal("dest.yml: line 6: environment variable PG_PASSWORD is not set (referenced as ${PG_PASSWORD})", error.Message);
    }

    [Fact]
    public void Parse_UnsetVariable_DoesNotLeakOtherValues()
    {
        var error = Assert.Throws<ConfigException>(() => Load("kind: destination\nspec:\n  name: d\n  path: ${PG_URL}\n  spec: {a: '${MISSING}'}\n"));

        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnterminatedReference_NamesTheLineAndTheEscape()
    {
        var error = Assert.Throws<ConfigException>(() => Load("kind: destination\nspec:\n  name: d\n  path: ${PG_URL\n"));

        Assert.Equal("dest.yml: line 4: unterminated ${ (write $${ for a literal ${)", error.Message);
    }

    [Theory]
    [InlineData("pa ss #word; Database=other")]          // ' #' would start a YAML comment if pasted into the text
    [InlineData("line1\nmigrate_mode: forced")]          // a newline would inject a key
    [InlineData("it's \"quoted\" 'both' ways")]
    [InlineData("key: value, [flow], {map}")]
    [InlineData("*alias &anchor !!tag")]
    [InlineData("--- \n...\n%YAML 1.2")]
    public void Parse_VariableHoldingYamlSyntax_StaysOneValue(string value)
    {
        var config = ConfigLoader.Parse(
            "kind: destination\nspec:\n  name: d\n  path: sqlite\n  spec:\n    connection_string: ${DB_FILE}\n",
            File,
            name => name == "DB_FILE" ? value : null);

        var destination = Assert.Single(config.Destinations);
        Assert.Equal(value, Scalar(destination, "connection_string"));
        Assert.Equal(MigrateMode.Safe, destination.MigrateMode);
        Assert.Single(destination.Spec.Children);
    }

    [Fact]
    public void Parse_PasswordWithHashInAPostgresString_ReachesTheDatabaseNamedAfterIt()
    {
        var config = ConfigLoader.Parse(
            "kind: destination\nspec:\n  name: d\n  path: postgresql\n  spec:\n    connection_string: ${PG}\n",
            File,
            _ => "Host=h;Password=ab #cd;Database=after_the_hash");

        var spec = Workers.Core.Config.SpecBinder.Bind<PostgreSqlSpec>(config.Destinations[0].Spec, "x");
        Assert.Equal("Host=h;Password=ab #cd;Database=after_the_hash", spec.ConnectionString);
    }

    [Fact]
    public void Parse_VariableInsideAnAnchoredValue_IsExpandedOnceAndSharedByTheAlias()
    {
        var calls = 0;
        var config = ConfigLoader.Parse(
            "kind: destination\nspec:\n  name: d\n  path: sqlite\n  spec:\n    connection_string: &db ${DB_FILE}\n    copy: *db\n",
            File,
            _ =>
            {
                calls++;
                return "shared.db";
            });

        var destination = Assert.Single(config.Destinations);
        Assert.Equal(("shared.db", "shared.db"), (Scalar(destination, "connection_string"), Scalar(destination, "copy")));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Parse_VariableInAKey_IsNotExpanded()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            "kind: destination\nspec:\n  name: d\n  path: sqlite\n  ${KEY}: append\n", File, _ => "write_mode"));

        Assert.StartsWith("dest.yml: document 1 (destination \"d\"): spec.${KEY}: unknown field", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HundredThousandNestedBrackets_IsAClearErrorNotAStackOverflow()
    {
        var error = Assert.Throws<ConfigException>(() => Load("kind: destination\nspec: " + new string('[', 100_000)));

        Assert.Equal($"dest.yml: line 2: nested more than {ConfigLoader.MaxNesting} levels deep (lists and mappings inside each other); a configuration never needs that many", error.Message);
    }

    [Fact]
    public void Parse_NestingAtTheBound_IsAccepted()
    {
        var deep = new string('[', ConfigLoader.MaxNesting - 3) + new string(']', ConfigLoader.MaxNesting - 3);

        var config = Load($"kind: destination\nspec:\n  name: d\n  path: sqlite\n  spec:\n    connection_string: x\n    nested: {deep}\n");

        Assert.Single(config.Destinations);
    }

    static WorkersConfig Load(string yaml) => ConfigLoader.Parse(yaml, File, name => Environment.GetValueOrDefault(name));

    static string? Scalar(DestinationSpec destination, string key) =>
        ((YamlDotNet.RepresentationModel.YamlScalarNode)destination.Spec.Children[new YamlDotNet.RepresentationModel.YamlScalarNode(key)]).Value;
}
