namespace Workers.Destinations.Files;

/// <summary>The <c>compression</c> field: empty for none, or gzip around a whole CSV or JSON file.</summary>
public enum FileCompression
{
    None,
    Gzip,
}
