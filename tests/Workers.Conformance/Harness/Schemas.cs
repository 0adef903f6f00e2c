using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Schema;

namespace Workers.Conformance.Harness;

/// <summary>Builds the small tables of CloudQuery's writer suite.</summary>
public static class Schemas
{
    public static string UniqueName(string testCase) => $"cq_{testCase}_{Guid.NewGuid().ToString("N")[..8]}";

    public static Field Int64(string name, bool notNull = false, bool primaryKey = false) =>
        Field(name, Int64Type.Default, CqExtension.None, notNull, primaryKey, unique: false);

    public static Field Utf8(string name, bool notNull = false, bool primaryKey = false) =>
        Field(name, StringType.Default, CqExtension.None, notNull, primaryKey, unique: false);

    public static Field Bool(string name, bool notNull = false) =>
        Field(name, BooleanType.Default, CqExtension.None, notNull, primaryKey: false, unique: false);

    public static Field Uuid(string name, bool notNull = false, bool primaryKey = false, bool unique = false) =>
        Field(name, CqExtensions.StorageType(CqExtension.Uuid), CqExtension.Uuid, notNull, primaryKey, unique);

    public static Field Field(string name, IArrowType type, CqExtension extension, bool notNull, bool primaryKey, bool unique) =>
        new ColumnSchema(name, type, extension, notNull, primaryKey, unique, Incremental: false).ToField();

    public static Apache.Arrow.Schema Table(string name, params Field[] fields) =>
        new(fields, new Dictionary<string, string> { [CqMetadata.TableName] = name });

    public static Apache.Arrow.Schema WithSyncColumns(Apache.Arrow.Schema schema) => Workers.Core.Sync.SyncColumns.AddTo(schema);
}
