using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Config;
using Workers.Core.Schema;
using Workers.Destinations.Files;
using Workers.Destinations.Files.Formats;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Files;

public class S3SpecTests
{
    const string Base = "bucket: b\nregion: us-east-1\nformat: parquet\n";

    [Theory]
    [InlineData("region: us-east-1\nformat: csv", "spec.spec.bucket: required")]
    [InlineData("bucket: b\nformat: csv", "spec.spec.region: required")]
    [InlineData(Base + "path: /abs/{{TABLE}}/{{UUID}}.{{FORMAT}}", "spec.spec.path: should not start with a \"/\"")]
    [InlineData(Base + "path: a//{{TABLE}}/{{UUID}}.{{FORMAT}}", "spec.spec.path: should not contain relative paths or duplicate slashes")]
    [InlineData(Base + "path: a/../{{TABLE}}/{{UUID}}.{{FORMAT}}", "spec.spec.path: should not contain relative paths")]
    [InlineData(Base + "path: a/{{TABLE_HYPHEN}}.{{FORMAT}}", "spec.spec.path: must contain {{BATCH_ID}}")]
    [InlineData(Base + "acl: everyone", "spec.spec.acl: invalid value 'everyone'")]
    [InlineData(Base + "part_size: 1024", "spec.spec.part_size: must be at least 5242880 bytes")]
    [InlineData(Base + "max_retries: -1", "spec.spec.max_retries: must be zero or more")]
    [InlineData(Base + "max_backoff: 0", "spec.spec.max_backoff: must be a positive number of seconds")]
    [InlineData(Base + "endpoint: localhost:9000", "spec.spec.endpoint: must be an http(s) URL")]
    [InlineData("bucket: b\nregion: r\nformat: csv\nwrite_empty_objects_for_empty_tables: true", "spec.spec.write_empty_objects_for_empty_tables: can only be used with parquet")]
    [InlineData(Base + "credentials: {role_arn: 'arn:aws:iam::1:role/x'}", "spec.spec.credentials.role_arn: not supported yet")]
    [InlineData(Base + "credentials: {profile: x}", "spec.spec.credentials.profile: unknown field")]
    [InlineData(Base + "server_side_encryption_configuration: {server_side_encryption: DES}", "spec.spec.server_side_encryption_configuration.server_side_encryption: must be one of AES256, aws:kms, aws:kms:dsse")]
    [InlineData(Base + "bukket: x", "spec.spec.bukket: unknown field")]
    public void Create_BadS3Spec_NamesTheField(string yaml, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => new S3DestinationFactory().Create(Spec(yaml)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_CloudQueryS3Spec_IsAccepted()
    {
        var yaml = "bucket: my-bucket\nregion: eu-west-1\npath: 'path/to/files/{{TABLE}}/{{YEAR}}/{{MONTH}}/{{DAY}}/{{HOUR}}/{{MINUTE}}/{{SYNC_ID}}-{{TABLE_HYPHEN}}-{{UUID}}.{{FORMAT}}'\n" +
                   "format: json\ncompression: gzip\nathena: true\ntest_write: false\nendpoint: 'https://minio.internal:9000'\nuse_path_style: true\n" +
                   "endpoint_skip_tls_verify: true\nacl: bucket-owner-full-control\ncontent_type: application/x-ndjson\nmax_retries: 5\nmax_backoff: 10\npart_size: 16777216\n" +
                   "server_side_encryption_configuration: {sse_kms_key_id: 'key-1', server_side_encryption: 'aws:kms'}\n" +
                   "no_rotate: false\nbatch_size: 10000\nbatch_size_bytes: 52428800\nbatch_timeout: 30s";

        Assert.NotNull(new S3DestinationFactory().Create(Spec(yaml)));
    }

    [Theory]
    [InlineData("csv", "", "text/csv")]
    [InlineData("json", "", "application/json")]
    [InlineData("parquet", "", "application/vnd.apache.parquet")]
    [InlineData("csv", "gzip", "application/gzip")]
    public void ContentType_ByDefault_FollowsFormatAndCompression(string format, string compression, string expected)
    {
        var spec = SpecBinder.BindValid<S3Spec>(Spec($"bucket: b\nregion: r\nformat: {format}\ncompression: '{compression}'").Spec, "t", s => s.Validate());

        Assert.Equal(expected, spec.EffectiveContentType);
    }

    [Fact]
    public void Athena_JsonColumnKeys_GetNonWordCharactersReplaced()
    {
        var field = new Field("tags", BinaryType.Default, true, CqExtensions.Metadata(CqExtension.Json));
        var builder = new BinaryArray.Builder();
        builder.Append(Encoding.UTF8.GetBytes("""{"a-b":1,"c.d":{"e f":["x-y",{"g:h":null}]}}"""));
        builder.AppendNull();
        builder.Append(Encoding.UTF8.GetBytes("not json {"));
        var batch = new RecordBatch(new Apache.Arrow.Schema([field], null), [builder.Build()], 3);

        var column = (BinaryArray)AthenaJson.Sanitize(batch).Column(0);

        Assert.Equal("""{"a_b":1,"c_d":{"e_f":["x-y",{"g_h":null}]}}""", Encoding.UTF8.GetString(column.GetBytes(0)));
        Assert.True(column.IsNull(1));
        Assert.Equal("not json {", Encoding.UTF8.GetString(column.GetBytes(2)));
    }

    static DestinationSpec Spec(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new DestinationSpec("d", "s3", WriteMode.Append, MigrateMode.Safe, PkMode.Default, (YamlMappingNode)stream.Documents[0].RootNode, "test.yml: document 1");
    }
}
