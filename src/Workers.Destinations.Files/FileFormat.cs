namespace Workers.Destinations.Files;

/// <summary>The <c>format</c> field: how rows are laid out in each file or blob.</summary>
public enum FileFormat
{
    Csv,
    Json,
    Parquet,
}
