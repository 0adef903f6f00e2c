using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>CSV with CloudQuery's format_spec: another delimiter, and no header (columns read back by position).</summary>
public sealed class FileCsvSemicolonNoHeaderConformance : LocalFileConformance
{
    protected override string Format => "csv";

    protected override YamlMappingNode? FormatSpec => new() { { "delimiter", ";" }, { "skip_header", "true" } };
}
