namespace Workers.Destinations.Files.Formats;

enum ParquetNodeKind
{
    Leaf,
    Struct,
    List,
    Map,
}
