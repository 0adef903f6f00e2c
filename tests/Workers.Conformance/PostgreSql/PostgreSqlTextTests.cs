using Apache.Arrow;
using Workers.Conformance.Harness;
using Workers.Conformance.Targets;
using Workers.Core.Config;

namespace Workers.Conformance.PostgreSql;

/// <summary>
/// Text cells go to PostgreSQL as the Arrow buffer's UTF-8 bytes; only a cell that is not valid UTF-8, or holds NUL,
/// is decoded to a string first. Both ways must store what the string way always stored.
/// </summary>
public sealed class PostgreSqlTextTests : IAsyncLifetime
{
    static readonly DateTime T0 = new(2026, 12, 2, 9, 0, 0, DateTimeKind.Utc);

    readonly PostgreSqlTarget _target = new();

    public Task InitializeAsync() => _target.InitializeAsync();

    [Fact]
    public async Task Insert_Utf8AndBytesThatAreNotUtf8_StoreTheTextTheStringDecodingGives()
    {
        var harness = _target.Harness(WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("utf8_text"), Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        byte[][] cells =
        [
            "Grüße, 日本語, 🙂"u8.ToArray(),
            [(byte)'a', 0xFF, (byte)'b', 0xC3],
            [],
        ];

        await harness.InsertAsync(new RecordBatch(schema, [Ids(cells.Length), Utf8Column(cells)], cells.Length), sync);

        var rows = (await harness.ReadAsync(schema)).SortedBy(schema, "id");
        Assert.Equal(new[] { "Grüße, 日本語, 🙂", "a\uFFFDb\uFFFD", "" }, rows.Select(r => (string)r[1]!));
    }

    static Int64Array Ids(int count)
    {
        var builder = new Int64Array.Builder();
        for (var i = 0; i < count; i++)
        {
            builder.Append(i);
        }

        return builder.Build();
    }

    // Built from raw bytes: Arrow's builder would only take (valid) strings.
    static StringArray Utf8Column(byte[][] cells)
    {
        var offsets = new ArrowBuffer.Builder<int>().Append(0);
        var data = new ArrowBuffer.Builder<byte>();
        var end = 0;
        foreach (var cell in cells)
        {
            data.Append(cell);
            end += cell.Length;
            offsets.Append(end);
        }

        return new StringArray(cells.Length, offsets.Build(), data.Build(), ArrowBuffer.Empty, nullCount: 0);
    }

    public async Task DisposeAsync() => await _target.DisposeAsync();
}
