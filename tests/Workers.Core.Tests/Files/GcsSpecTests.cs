using System.Security.Cryptography;
using System.Text.Json;
using Workers.Core.Config;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Files;

public class GcsSpecTests
{
    const string Base = "bucket: my-bucket\npath: 'data/{{TABLE}}/{{UUID}}.{{FORMAT}}'\n";

    [Theory]
    [InlineData("path: 'data/{{TABLE}}/{{UUID}}.{{FORMAT}}'\nformat: csv", "spec.spec.bucket: required")]
    [InlineData("bucket: My_Bucket\npath: 'data/{{TABLE}}/{{UUID}}.{{FORMAT}}'\nformat: csv", "spec.spec.bucket: required, 3-222 lowercase letters")]
    [InlineData("bucket: my-bucket\nformat: csv", "spec.spec.path: required")]
    [InlineData(Base + "format: parquet\ncompression: gzip", "spec.spec.compression: gzip applies to csv and json")]
    [InlineData(Base + "format: json\nno_rotate: true", "spec.spec.no_rotate: true is not supported")]
    [InlineData(Base + "format: json\nendpoint: 'http://x'", "spec.spec.endpoint: unknown field")]
    [InlineData(Base + "format: parquet\nformat_spec: {version: v3}", "spec.spec.format_spec.version: must be one of")]
    public void Create_BadGcsSpec_NamesTheField(string yaml, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => new GcsDestinationFactory().Create(Spec(yaml)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_KeyThatIsNotJson_NamesTheFieldWithoutTheKey()
    {
        var error = Assert.Throws<ConfigException>(() => new GcsDestinationFactory().Create(Spec(Base + "format: csv\nservice_account_key_json: 'secret-but-not-json'")));

        Assert.Contains("spec.spec.service_account_key_json: not a JSON object", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-but-not-json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_CloudQueryGcsSpecWithAServiceAccountKey_IsAcceptedAndTheKeyIsASecret()
    {
        using var rsa = RSA.Create(2048);
        var privateKey = rsa.ExportPkcs8PrivateKeyPem();
        var key = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "workers-test",
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = privateKey,
            ["client_email"] = "writer@workers-test.iam.gserviceaccount.com",
            ["client_id"] = "1234567890",
            ["token_uri"] = "https://oauth2.googleapis.com/token",
        });
        var yaml = "bucket: my-bucket\npath: 'path/to/files/{{TABLE}}/{{UUID}}.{{FORMAT}}'\nformat: parquet\n" +
                   "format_spec: {version: v2.6, root_repetition: undefined, max_row_group_length: 1000}\n" +
                   "no_rotate: false\nbatch_size: 10000\nbatch_size_bytes: 52428800\nbatch_timeout: 30s\n" +
                   $"service_account_key_json: '{key.Replace("'", "''", StringComparison.Ordinal)}'";

        await using var destination = new GcsDestinationFactory().Create(Spec(yaml));

        Assert.NotNull(destination);
        var line = privateKey.Split('\n')[1];
        Assert.DoesNotContain(line, Secrets.Redact($"the key was {privateKey}"), StringComparison.Ordinal);
        Assert.DoesNotContain(line, Secrets.Redact($"the spec said {key}"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 256 * 1024)]
    [InlineData(1, 256 * 1024)]
    [InlineData(256 * 1024, 256 * 1024)]
    [InlineData(256 * 1024 + 1, 512 * 1024)]
    [InlineData(100L * 1024 * 1024 + 3, 100 * 1024 * 1024 + 256 * 1024)]
    public void SingleChunk_HoldsTheWholeObjectInMultiplesOf256KiB(long length, int expected) =>
        Assert.Equal(expected, Workers.Destinations.Files.Stores.GcsBucketStore.SingleChunk(length));

    static DestinationSpec Spec(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new DestinationSpec("d", "gcs", WriteMode.Append, MigrateMode.Safe, PkMode.Default, (YamlMappingNode)stream.Documents[0].RootNode, "test.yml: document 1");
    }
}
