using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>The suite on S3 with a Snowflake-style parquet format_spec, as CloudQuery users write it.</summary>
public sealed class S3ParquetSnowflakeConformance : S3Conformance
{
    protected override string Format => "parquet";

    protected override YamlMappingNode Extra => new()
    {
        { "format_spec", new YamlMappingNode { { "version", "v2Latest" }, { "root_repetition", "undefined" }, { "max_row_group_length", "4" } } },
    };
}
