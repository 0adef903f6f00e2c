namespace Workers.Core.Schema;

/// <summary>One difference between a live table and the schema a message wants.</summary>
/// <param name="Safe">True when <c>migrate_mode: safe</c> may apply it: additive and lossless.</param>
public sealed record SchemaChange(SchemaChangeKind Kind, string Column, string Description, bool Safe)
{
    public override string ToString() => Description;
}
