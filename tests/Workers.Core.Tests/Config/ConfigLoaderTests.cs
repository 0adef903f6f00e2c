using Workers.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Config;

public class ConfigLoaderTests
{
    const string File = "sync.yml";

    const string Source = """
        kind: source
        spec:
          name: demo
          path: test
          tables: ["test_*"]
          skip_tables: [test_sub_table]
          destinations: [pg, lite]
          spec: { num_rows: 100, seed: 3 }
        """;

    const string Destination = """
        kind: destination
        spec:
          name: pg
          path: postgresql
          write_mode: append
          migrate_mode: forced
          pk_mode: cq-id-only
          spec:
            connection_string: Host=db
            batch_size: 10000
        """;

    [Fact]
    public void Parse_SourceAndDestinationDocuments_ReadsEveryField()
    {
        var config = Parse($"{Source}\n---\n{Destination}\n");

        Assert.Equal(File, config.File);
        var source = Assert.Single(config.Sources);
        Assert.Equal("demo", source.Name);
        Assert.Equal("test", source.Path);
        Assert.Equal(["test_*"], source.Tables);
        Assert.Equal(["test_sub_table"], source.SkipTables);
        Assert.Equal(["pg", "lite"], source.Destinations);
        Assert.Equal("100", Scalar(source.Spec, "num_rows"));
        Assert.Equal("3", Scalar(source.Spec, "seed"));
        Assert.Equal("sync.yml: document 1 (source \"demo\")", source.Location);

        var destination = Assert.Single(config.Destinations);
        Assert.Equal("pg", destination.Name);
        Assert.Equal("postgresql", destination.Path);
        Assert.Equal(WriteMode.Append, destination.WriteMode);
        Assert.Equal(MigrateMode.Forced, destination.MigrateMode);
        Assert.Equal(PkMode.CqIdOnly, destination.PkMode);
        Assert.Equal("Host=db", Scalar(destination.Spec, "connection_string"));
        Assert.Equal("10000", Scalar(destination.Spec, "batch_size"));
        Assert.Equal("sync.yml: document 2 (destination \"pg\")", destination.Location);
        Assert.Equal("workers.pg", destination.QueueName);
    }

    [Fact]
    public void Parse_ManyDocuments_KeepsTheirOrder()
    {
        var config = Parse("""
            kind: destination
            spec: { name: a, path: sqlite }
            ---
            kind: source
            spec: { name: s1, path: test, destinations: [a] }
            ---
            kind: destination
            spec: { name: b, path: duckdb }
            ---
            kind: source
            spec: { name: s2, path: test, destinations: [b] }
            """);

        Assert.Equal(["a", "b"], config.Destinations.Select(d => d.Name));
        Assert.Equal(["s1", "s2"], config.Sources.Select(s => s.Name));
        Assert.Equal("sync.yml: document 3 (destination \"b\")", config.Destination("b").Location);
    }

    [Fact]
    public void Parse_DestinationWithoutPolicy_UsesCloudQueryDefaults()
    {
        var destination = Assert.Single(Parse("""
            kind: destination
            spec:
              name: lite
              path: sqlite
            """).Destinations);

        Assert.Equal(WriteMode.OverwriteDeleteStale, destination.WriteMode);
        Assert.Equal(MigrateMode.Safe, destination.MigrateMode);
        Assert.Equal(PkMode.Default, destination.PkMode);
        Assert.Empty(destination.Spec.Children);
    }

    [Fact]
    public void Parse_SourceWithoutTables_SelectsEveryTable()
    {
        var source = Assert.Single(Parse("""
            kind: source
            spec:
              name: demo
              path: test
              destinations: [pg]
            """).Sources);

        Assert.Equal(["*"], source.Tables);
        Assert.Empty(source.SkipTables);
        Assert.Empty(source.Spec.Children);
    }

    [Theory]
    [InlineData("overwrite-delete-stale", WriteMode.OverwriteDeleteStale)]
    [InlineData("overwrite", WriteMode.Overwrite)]
    [InlineData("append", WriteMode.Append)]
    public void Parse_WriteMode_ReadsEachValue(string text, WriteMode expected)
    {
        Assert.Equal(expected, Destination1($"write_mode: {text}").WriteMode);
    }

    [Theory]
    [InlineData("safe", MigrateMode.Safe)]
    [InlineData("forced", MigrateMode.Forced)]
    [InlineData("force", MigrateMode.Forced)]
    public void Parse_MigrateMode_AcceptsForceAsForced(string text, MigrateMode expected)
    {
        Assert.Equal(expected, Destination1($"migrate_mode: {text}").MigrateMode);
    }

    [Theory]
    [InlineData("default", PkMode.Default)]
    [InlineData("cq-id-only", PkMode.CqIdOnly)]
    public void Parse_PkMode_ReadsEachValue(string text, PkMode expected)
    {
        Assert.Equal(expected, Destination1($"pk_mode: {text}").PkMode);
    }

    [Fact]
    public void Parse_BadWriteMode_NamesFileDocumentFieldAndChoices()
    {
        var error = Fails($"{Source}\n---\nkind: destination\nspec:\n  name: pg\n  path: postgresql\n  write_mode: upsert\n");

        Assert.Equal(
            "sync.yml: document 2 (destination \"pg\"): spec.write_mode: must be one of overwrite-delete-stale, overwrite, append, got 'upsert'",
            error.Message);
    }

    [Fact]
    public void Parse_BadMigrateMode_NamesTheField()
    {
        var error = Fails("kind: destination\nspec:\n  name: pg\n  path: postgresql\n  migrate_mode: reckless\n");

        Assert.Equal("sync.yml: document 1 (destination \"pg\"): spec.migrate_mode: must be one of safe, forced, got 'reckless'", error.Message);
    }

    [Fact]
    public void Parse_BadPkMode_NamesTheField()
    {
        var error = Fails("kind: destination\nspec:\n  name: pg\n  path: postgresql\n  pk_mode: cq_id_only\n");

        Assert.Equal("sync.yml: document 1 (destination \"pg\"): spec.pk_mode: must be one of default, cq-id-only, got 'cq_id_only'", error.Message);
    }

    [Theory]
    [InlineData("source")]
    [InlineData("destination")]
    public void Parse_MissingName_NamesDocumentAndField(string kind)
    {
        var error = Fails($"{Source}\n---\nkind: {kind}\nspec:\n  path: test\n  destinations: [pg]\n");

        Assert.Equal("sync.yml: document 2: spec.name: required", error.Message);
    }

    [Theory]
    [InlineData("my pg")]
    [InlineData("pg/../etc")]
    [InlineData("pg.prod")]
    public void Parse_NameWithUnsafeCharacters_IsRefused(string name)
    {
        var error = Fails($"kind: destination\nspec:\n  name: \"{name}\"\n  path: sqlite\n");

        Assert.Equal($"sync.yml: document 1: spec.name: use 1-100 letters, digits, '_' or '-', got '{name}'", error.Message);
    }

    [Fact]
    public void Parse_SourceWithoutPath_NamesDocumentAndField()
    {
        var error = Fails("kind: source\nspec:\n  name: demo\n  destinations: [pg]\n");

        Assert.Equal("sync.yml: document 1 (source \"demo\"): spec.path: required (the built-in source, e.g. test)", error.Message);
    }

    [Fact]
    public void Parse_DestinationWithoutPath_NamesDocumentAndField()
    {
        var error = Fails($"{Source}\n---\nkind: destination\nspec:\n  name: pg\n");

        Assert.Equal("sync.yml: document 2 (destination \"pg\"): spec.path: required (the built-in destination, e.g. sqlite)", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  destinations: []\n")]
    public void Parse_SourceWithoutDestinations_NamesDocumentAndField(string destinations)
    {
        var error = Fails($"kind: source\nspec:\n  name: demo\n  path: test\n{destinations}");

        Assert.Equal("sync.yml: document 1 (source \"demo\"): spec.destinations: required, name at least one destination", error.Message);
    }

    [Fact]
    public void Parse_UnknownTopLevelField_NamesDocumentAndField()
    {
        var error = Fails($"{Source}\n---\nkind: destination\nversion: v1\nspec:\n  name: pg\n  path: sqlite\n");

        Assert.Equal("sync.yml: document 2: version: unknown field (a document has kind and spec)", error.Message);
    }

    [Fact]
    public void Parse_UnknownSourceSpecField_ListsTheKnownFields()
    {
        var error = Fails("kind: source\nspec:\n  name: demo\n  path: test\n  destinations: [pg]\n  tabels: [\"*\"]\n");

        Assert.Equal(
            "sync.yml: document 1 (source \"demo\"): spec.tabels: unknown field (known: name, path, tables, skip_tables, destinations, spec, skip_dependent_tables, deterministic_cq_id)",
            error.Message);
    }

    [Fact]
    public void Parse_UnknownDestinationSpecField_NamesTheField()
    {
        var error = Fails("kind: destination\nspec:\n  name: pg\n  path: sqlite\n  writemode: append\n");

        Assert.StartsWith("sync.yml: document 1 (destination \"pg\"): spec.writemode: unknown field (known: name, path, write_mode,", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CloudQueryVersionAndRegistry_AreIgnored()
    {
        var config = Parse("""
            kind: destination
            spec:
              name: pg
              path: postgresql
              registry: github
              version: v8.0.0
              send_sync_summary: true
            """);

        Assert.Equal("pg", Assert.Single(config.Destinations).Name);
    }

    [Fact]
    public void Parse_DuplicateSourceNames_NamesTheSecondDocument()
    {
        var error = Fails($"{Source}\n---\n{Destination}\n---\n{Source}\n");

        Assert.Equal("sync.yml: document 3 (source \"demo\"): spec.name: source \"demo\" is declared twice", error.Message);
    }

    [Fact]
    public void Parse_DuplicateDestinationNames_NamesTheSecondDocument()
    {
        var error = Fails($"{Destination}\n---\n{Source}\n---\n{Destination}\n");

        Assert.Equal("sync.yml: document 3 (destination \"pg\"): spec.name: destination \"pg\" is declared twice", error.Message);
    }

    [Theory]
    [InlineData("- kind: source\n- kind: destination\n")]
    [InlineData("just a string\n")]
    public void Parse_DocumentThatIsNotAMapping_NamesTheDocument(string document)
    {
        var error = Fails($"{Source}\n---\n{document}");

        Assert.Equal("sync.yml: document 2: must be a mapping with kind and spec", error.Message);
    }

    [Fact]
    public void Parse_EmptyDocument_IsSkippedButCounted()
    {
        var error = Fails($"{Source}\n---\n---\nkind: destination\nspec:\n  name: pg\n");

        Assert.StartsWith("sync.yml: document 3 (destination \"pg\"): spec.path: required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingKind_NamesTheDocument()
    {
        var error = Fails("spec:\n  name: pg\n  path: sqlite\n");

        Assert.Equal("sync.yml: document 1: kind: required (source or destination)", error.Message);
    }

    [Fact]
    public void Parse_UnknownKind_NamesTheValue()
    {
        var error = Fails("kind: plugin\nspec:\n  name: pg\n  path: sqlite\n");

        Assert.Equal("sync.yml: document 1: kind: must be source or destination, got 'plugin'", error.Message);
    }

    [Fact]
    public void Parse_MissingSpec_NamesTheDocument()
    {
        var error = Fails("kind: destination\n");

        Assert.Equal("sync.yml: document 1: spec: required", error.Message);
    }

    [Fact]
    public void Parse_SpecThatIsNotAMapping_NamesTheDocument()
    {
        var error = Fails("kind: destination\nspec: [pg]\n");

        Assert.Equal("sync.yml: document 1: spec: must be a mapping", error.Message);
    }

    [Fact]
    public void Parse_NestedSpecThatIsNotAMapping_NamesTheField()
    {
        var error = Fails("kind: destination\nspec:\n  name: pg\n  path: sqlite\n  spec: db.sqlite\n");

        Assert.Equal("sync.yml: document 1 (destination \"pg\"): spec.spec: must be a mapping", error.Message);
    }

    [Fact]
    public void Parse_TablesNotAList_NamesTheField()
    {
        var error = Fails("kind: source\nspec:\n  name: demo\n  path: test\n  tables: users\n  destinations: [pg]\n");

        Assert.Equal("sync.yml: document 1 (source \"demo\"): spec.tables: must be a list, e.g. [\"*\"]", error.Message);
    }

    [Fact]
    public void Parse_PathThatIsAList_NamesTheField()
    {
        var error = Fails("kind: destination\nspec:\n  name: pg\n  path: [sqlite]\n");

        Assert.Equal("sync.yml: document 1 (destination \"pg\"): spec.path: must be a single value", error.Message);
    }

    [Fact]
    public void Parse_InvalidYaml_NamesTheFileAndLine()
    {
        // Line 5 is indented less than the mapping it should belong to.
        var error = Fails("kind: destination\nspec:\n  name: pg\n  path: sqlite\n write_mode: append\n");

        Assert.StartsWith("sync.yml: line 5: not valid YAML: ", error.Message, StringComparison.Ordinal);
        Assert.IsType<YamlDotNet.Core.YamlException>(error.InnerException, exactMatch: false);
    }

    [Fact]
    public void Parse_UnclosedFlowListFollowedByMoreKeys_IsAConfigErrorNamingTheFile()
    {
        // YamlDotNet reports this common typo with an InvalidOperationException rather than a YamlException.
        var error = Fails("kind: destination\nspec:\n  name: pg\n  path: [sqlite\n  write_mode: append\n");

        Assert.StartsWith("sync.yml: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidYaml_ReportsTheOneBasedLineOfTheError()
    {
        // Line 4 is more indented than line 3, so it continues the plain scalar "pg" with a "key: value", which YAML forbids.
        var error = Fails("kind: destination\nspec:\n  name: pg\n    path: sqlite\n");

        Assert.StartsWith("sync.yml: line 4: not valid YAML", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n---\n")]
    public void Parse_NoDocuments_SaysNothingIsDeclared(string yaml)
    {
        var error = Fails(yaml);

        Assert.Equal("sync.yml: declares no source and no destination", error.Message);
    }

    [Fact]
    public void Parse_EnvironmentVariables_AreExpandedBeforeParsing()
    {
        var config = ConfigLoader.Parse(
            "kind: destination\nspec:\n  name: ${DEST}\n  path: postgresql\n  spec:\n    connection_string: ${PG_CONNECTION_STRING}\n    note: $${NOT_A_VAR}\n",
            File,
            name => name switch { "DEST" => "pg", "PG_CONNECTION_STRING" => "Host=db;Password=s3cret", _ => null });

        var destination = Assert.Single(config.Destinations);
        Assert.Equal("pg", destination.Name);
        Assert.Equal("Host=db;Password=s3cret", Scalar(destination.Spec, "connection_string"));
        Assert.Equal("${NOT_A_VAR}", Scalar(destination.Spec, "note"));
    }

    [Fact]
    public void Parse_UnsetVariable_NamesFileLineAndVariable()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            "kind: destination\nspec:\n  name: pg\n  path: postgresql\n  spec:\n    connection_string: ${PG_URL}\n", File, _ => null));

        Assert.Equal("sync.yml: line 6: environment variable PG_URL is not set (referenced as ${PG_URL})", error.Message);
    }

    [Fact]
    public void Destination_UnknownName_NamesTheFile()
    {
        var config = Parse(Destination);

        var error = Assert.Throws<ConfigException>(() => config.Destination("lite"));

        Assert.Equal("sync.yml: no destination named \"lite\"", error.Message);
    }

    [Fact]
    public void LoadFile_ExistingFile_ParsesItUnderItsPath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"workers-config-{Guid.NewGuid():N}.yml");
        System.IO.File.WriteAllText(path, Destination);
        try
        {
            var config = ConfigLoader.LoadFile(path, _ => null);

            Assert.Equal(path, config.File);
            Assert.StartsWith(path + ": document 1", Assert.Single(config.Destinations).Location, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void LoadFile_MissingFile_NamesThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"workers-missing-{Guid.NewGuid():N}.yml");

        var error = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path));

        Assert.Equal($"{path}: file not found", error.Message);
    }

    static WorkersConfig Parse(string yaml) => ConfigLoader.Parse(yaml, File, _ => null);

    static ConfigException Fails(string yaml) => Assert.Throws<ConfigException>(() => Parse(yaml));

    static DestinationSpec Destination1(string line) =>
        Assert.Single(Parse($"kind: destination\nspec:\n  name: pg\n  path: sqlite\n  {line}\n").Destinations);

    static string? Scalar(YamlMappingNode mapping, string key) =>
        Assert.IsType<YamlScalarNode>(mapping.Children[new YamlScalarNode(key)]).Value;
}
