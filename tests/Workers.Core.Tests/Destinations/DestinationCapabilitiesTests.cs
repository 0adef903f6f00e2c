using Workers.Cli.Commands;
using Workers.Cli.Destinations;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Destinations.DuckDb;
using Workers.Destinations.Files;
using Workers.Destinations.PostgreSql;
using Workers.Destinations.Sqlite;

namespace Workers.Core.Tests.Destinations;

public sealed class DestinationCapabilitiesTests
{

    [Fact]
    public void Start_WithAnExplicitWriteModeTheDestinationLacks_FailsNamingDestinationModeAndWhatItSupports()
    {
        var spec = Load("  write_mode: overwrite-delete-stale");

        var refused = Assert.Throws<ConfigException>(() => DestinationCatalog.CreateWriter(spec));

        Assert.Contains("destination \"out\"", refused.Message, StringComparison.Ordinal);
        Assert.Contains("spec.write_mode: the file destination does not support write_mode: overwrite-delete-stale (it supports append)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithoutWriteMode_RunsTheDestinationsOwnDefault()
    {
        var spec = Load("");

        var writer = DestinationCatalog.CreateWriter(spec);
        await using var destination = writer.Destination;

        Assert.False(spec.WriteModeGiven);
        Assert.Equal(WriteMode.Append, writer.Spec.WriteMode);
    }

    [Fact]
    public void Load_WithWriteMode_MarksItGiven()
    {
        Assert.True(Load("  write_mode: append").WriteModeGiven);
    }

    [Fact]
    public void Check_AnUnsupportedMigrateMode_IsRefusedEvenWhenLeftToDefaults()
    {
        var capabilities = new DestinationCapabilities([WriteMode.Append], [MigrateMode.Forced], false, false, RedeliveryGuard.BatchNamedObjects, "x");
        var spec = new DestinationSpec("d", "somewhere", WriteMode.Append, MigrateMode.Safe, PkMode.Default, new(), "test");

        var refused = Assert.Throws<ConfigException>(() => capabilities.Check(spec));

        Assert.Contains("does not support migrate_mode: safe (it supports forced)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSqlDestinations_ClaimDeleteRecord_AndEveryMode_TheOthersDoNot()
    {
        string[] sql = ["postgresql", "mysql", "sqlite", "duckdb"];
        Assert.Equal(sql.Order(), DestinationCatalog.All.Where(f => f.Capabilities.DeleteRecord).Select(f => f.Path).Order());
        Assert.Contains(DestinationCatalog.All, f => f.Path == "file" && !f.Capabilities.DeleteRecord);
        Assert.Contains(DestinationCatalog.All, f => f.Path == "kafka" && !f.Capabilities.DeleteRecord);
        foreach (var factory in new IDestinationFactory[] { new PostgreSqlDestinationFactory(), new SqliteDestinationFactory(), new DuckDbDestinationFactory() })
        {
            var sqlFactory = factory;
            Assert.Equal([WriteMode.OverwriteDeleteStale, WriteMode.Overwrite, WriteMode.Append], sqlFactory.Capabilities.WriteModes);
            Assert.True(sqlFactory.Capabilities.DeleteStale);
            Assert.Equal(RedeliveryGuard.LedgerInTransaction, sqlFactory.Capabilities.Redelivery);
        }

        Assert.Equal(RedeliveryGuard.BatchNamedObjects, new AzureBlobDestinationFactory().Capabilities.Redelivery);
    }

    [Fact]
    public async Task DeleteRecord_ToADestinationThatDoesNotClaimIt_IsRefusedNamingTheDestination()
    {
        var writer = DestinationCatalog.CreateWriter(Load(""));
        await using var destination = writer.Destination;
        using var message = new DeleteRecordMessage(SyncInfo.Start("src", TimeProvider.System), "accounts", Guid.NewGuid(),
            [PredicateGroup.And(Predicate.Equal("id", 1L))], []);

        var refused = await Assert.ThrowsAsync<NotSupportedByDestinationException>(() => writer.ApplyAsync(message, CancellationToken.None));

        Assert.False(DestinationCatalog.All.Single(f => f.Path == "file").Capabilities.DeleteRecord);
        Assert.Equal("delete-record is not supported by destination out (file)", refused.Message);
    }

    [Fact]
    public void DestinationsCommand_PrintsEveryBuiltInWithItsCapabilities()
    {
        var table = DestinationsCommand.Table(DestinationCatalog.All);
        var lines = table.Split(Environment.NewLine);

        Assert.StartsWith("destination", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("postgresql", StringComparison.Ordinal)
            && l.Contains("overwrite-delete-stale, overwrite, append (default overwrite-delete-stale)", StringComparison.Ordinal)
            && l.Contains("safe, forced", StringComparison.Ordinal) && l.Contains("ledger-in-transaction", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("azblob", StringComparison.Ordinal) && l.Contains("append", StringComparison.Ordinal)
            && !l.Contains("overwrite", StringComparison.Ordinal) && l.Contains("batch-named-objects", StringComparison.Ordinal));
        Assert.Contains("file: each batch, or each group of batches the worker gathered, becomes one object named after its batch id", table, StringComparison.Ordinal);
    }

    [Fact]
    public void NoDestinationAssembly_ReferencesYamlDotNet()
    {
        var assemblies = new[]
        {
            typeof(PostgreSqlDestinationFactory).Assembly, typeof(SqliteDestinationFactory).Assembly, typeof(DuckDbDestinationFactory).Assembly,
            typeof(FileDestinationFactory).Assembly, typeof(Workers.Destinations.Sql.SqlDestination).Assembly,
        };

        Assert.All(assemblies, a => Assert.DoesNotContain(a.GetReferencedAssemblies(), r => r.Name == "YamlDotNet"));
    }

    static DestinationSpec Load(string writeMode) =>
        ConfigLoader.Parse("kind: destination\nspec:\n  name: out\n  path: file\n" + writeMode + "\n  spec: { path: out, format: csv }\n", "test.yml").Destinations.Single();
}
