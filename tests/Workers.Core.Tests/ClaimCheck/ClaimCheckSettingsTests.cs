using Workers.Core.Config;
using Workers.Messaging.ClaimCheck;

namespace Workers.Core.Tests.ClaimCheck;

public class ClaimCheckSettingsTests
{
    const string Connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0LWtleS1mb3ItdGVzdHM=;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";

    [Fact]
    public void NoConnectionString_MeansNoClaimCheck() =>
        Assert.Null(ClaimCheckSettings.From(Env(new())));

    [Fact]
    public void ConnectionStringAlone_TakesTheDefaults()
    {
        var settings = ClaimCheckSettings.From(Env(new() { ["WORKERS_BLOB_CONNECTION_STRING"] = Connection }));

        Assert.NotNull(settings);
        Assert.Equal("workers-batches", settings.Container);
        Assert.Equal(1024 * 1024, settings.ThresholdBytes);
        Assert.DoesNotContain("AccountKey", settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ContainerAndThreshold_AreRead()
    {
        var settings = ClaimCheckSettings.From(Env(new()
        {
            ["WORKERS_BLOB_CONNECTION_STRING"] = Connection,
            ["WORKERS_BLOB_CONTAINER"] = "big-batches",
            ["WORKERS_BLOB_THRESHOLD_BYTES"] = "4096",
        }));

        Assert.Equal(new ClaimCheckSettings(Connection, "big-batches", 4096), settings);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1MiB")]
    public void BadThreshold_NamesTheVariable(string value)
    {
        var error = Assert.Throws<ConfigException>(() => ClaimCheckSettings.From(Env(new()
        {
            ["WORKERS_BLOB_CONNECTION_STRING"] = Connection,
            ["WORKERS_BLOB_THRESHOLD_BYTES"] = value,
        })));

        Assert.Equal($"WORKERS_BLOB_THRESHOLD_BYTES: must be a positive number of bytes, got \"{value}\"", error.Message);
    }

    [Theory]
    [InlineData("Batches")]
    [InlineData("ab")]
    [InlineData("a--b")]
    [InlineData("-ab")]
    public void BadContainerName_NamesTheVariable(string value)
    {
        var error = Assert.Throws<ConfigException>(() => ClaimCheckSettings.From(Env(new()
        {
            ["WORKERS_BLOB_CONNECTION_STRING"] = Connection,
            ["WORKERS_BLOB_CONTAINER"] = value,
        })));

        Assert.StartsWith($"WORKERS_BLOB_CONTAINER: \"{value}\" is not a valid container name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AccountKey_IsRedactedFromMessages()
    {
        ClaimCheckSettings.From(Env(new() { ["WORKERS_BLOB_CONNECTION_STRING"] = Connection }));

        Assert.Equal("key *** leaked", Secrets.Redact("key c2VjcmV0LWtleS1mb3ItdGVzdHM= leaked"));
    }

    [Fact]
    public void MalformedConnectionString_NamesTheVariable_NotTheValue()
    {
        var error = Assert.Throws<ConfigException>(() => new BlobClaimStore(new ClaimCheckSettings("AccountName=x;nonsense", "workers-batches", 1)));

        Assert.StartsWith("WORKERS_BLOB_CONNECTION_STRING: not a valid Azure Storage connection string", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nonsense", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NameFor_IsStablePerBatch_AndKeepsHostileTableNamesInTheirFolder()
    {
        var sync = Guid.Parse("0d6f3c1e-8a51-4b8e-9c2f-1f0f4a7c9b11");
        var batch = Guid.Parse("6a1b9d4e-2c3f-4e5a-8b7c-9d0e1f2a3b4c");

        Assert.Equal($"claim-check/{sync}/aws_ec2_instances/{batch}.arrow", ClaimStores.NameFor(sync, "aws_ec2_instances", batch));
        Assert.Equal($"claim-check/{sync}/______etc_passwd/{batch}.arrow", ClaimStores.NameFor(sync, "../../etc/passwd", batch));
        Assert.Equal($"claim-check/{sync}/_/{batch}.arrow", ClaimStores.NameFor(sync, "", batch));
    }

    [Fact]
    public void NameOf_OnlyAnswersForThisContainer()
    {
        var store = new BlobClaimStore(new ClaimCheckSettings(Connection, "workers-batches", 1));

        Assert.Equal("claim-check/s/t/b.arrow", store.NameOf(new Uri("http://127.0.0.1:10000/devstoreaccount1/workers-batches/claim-check/s/t/b.arrow")));
        Assert.Null(store.NameOf(new Uri("http://127.0.0.1:10000/devstoreaccount1/other/claim-check/s/t/b.arrow")));
        Assert.Null(store.NameOf(new Uri("http://evil.example/devstoreaccount1/workers-batches/claim-check/s/t/b.arrow")));
        Assert.Null(store.NameOf(new Uri("http://127.0.0.1:10000/devstoreaccount1/workers-batches-2/x.arrow")));
    }

    static Func<string, string?> Env(Dictionary<string, string> values) => name => values.GetValueOrDefault(name);
}
