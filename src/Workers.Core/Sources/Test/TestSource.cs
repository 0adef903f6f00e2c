using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;
using Workers.Core.Schema;
using ArrowSchema = Apache.Arrow.Schema;

namespace Workers.Core.Sources.Test;

/// <summary>
/// The built-in <c>test</c> source, like CloudQuery's test source plugin: a narrow table for benchmarks, a
/// child table of it, and CloudQuery's all-types test table. Every value derives from the seed and the row's
/// position, so the same spec yields byte-identical batches.
/// </summary>
public sealed class TestSource : ISource
{
    public const string SomeTable = "test_some_table";
    public const string SubTable = "test_sub_table";
    public const string TestDataTable = "test_testdata_table";

    const int UuidWidth = 16;
    const long MicrosFrom2000 = 946_684_800_000_000;
    const long MicrosPer100Years = 3_155_760_000_000_000;

    static readonly TimestampType CreatedAtType = new(TimeUnit.Microsecond, "UTC");

    readonly int _numRows;
    readonly int _numSubRows;
    readonly int _seed;
    readonly int _batchSize;
    readonly ArrowSchema _someTable;
    readonly ArrowSchema _subTable;
    readonly ArrowSchema _testDataTable;

    public TestSource(TestSourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = spec.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(spec));
        }

        // Copied, so that a later change to the (mutable) spec cannot change what this source generates.
        _numRows = spec.NumRows;
        _numSubRows = spec.NumSubRows;
        _seed = spec.Seed;
        _batchSize = spec.BatchSize;

        _someTable = SomeTableSchema();
        _subTable = SubTableSchema();
        _testDataTable = TestData.AllTypesSchema(TestDataTable);
        Tables = [_someTable, _subTable, _testDataTable];
    }

    public IReadOnlyList<ArrowSchema> Tables { get; }

    /// <summary>
    /// Batches of at most <c>batch_size</c> rows of the requested tables: each chunk of parent rows, then the
    /// children of that chunk, then the all-types table.
    /// </summary>
    public async IAsyncEnumerable<RecordBatch> ReadAsync(
        IReadOnlyCollection<string> tables,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var unknown = tables.Where(t => t is not (SomeTable or SubTable or TestDataTable)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException(
                $"Unknown table(s) {string.Join(", ", unknown)}; the test source has {SomeTable}, {SubTable}, {TestDataTable}",
                nameof(tables));
        }

        var parents = tables.Contains(SomeTable);
        var children = tables.Contains(SubTable) && _numSubRows > 0;
        if (parents || children)
        {
            for (var start = 0; start < _numRows; start += _batchSize)
            {
                var count = Math.Min(_batchSize, _numRows - start);
                if (parents)
                {
                    await Pause(cancellationToken);
                    yield return SomeTableBatch(start, count);
                }

                if (children)
                {
                    // Children carry their parent's _cq_id, which is a pure function of the parent's row, so
                    // parents need not be materialized when only the child table is synced.
                    var first = (long)start * _numSubRows;
                    var end = (long)(start + count) * _numSubRows;
                    for (var child = first; child < end; child += _batchSize)
                    {
                        await Pause(cancellationToken);
                        yield return SubTableBatch(child, (int)Math.Min(_batchSize, end - child));
                    }
                }
            }
        }

        if (tables.Contains(TestDataTable))
        {
            for (var start = 0; start < _numRows; start += _batchSize)
            {
                await Pause(cancellationToken);
                yield return TestData.Generate(_testDataTable, Math.Min(_batchSize, _numRows - start), new TestDataOptions(_seed, start));
            }
        }
    }

    /// <summary>Generation is CPU-bound: give the caller's thread back and honour cancellation between batches.</summary>
    static async Task Pause(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
    }

    static ArrowSchema SomeTableSchema() => new(
        [
            PrimaryKey("id"),
            new Field("name", StringType.Default, true),
            new Field("score", DoubleType.Default, true),
            new Field("created_at", CreatedAtType, true),
            new Field("active", BooleanType.Default, true),
            TestData.CqIdField(),
            TestData.CqParentIdField(nullable: true),
        ],
        new Dictionary<string, string> { [CqMetadata.TableName] = SomeTable });

    static ArrowSchema SubTableSchema() => new(
        [
            PrimaryKey("parent_id"),
            PrimaryKey("seq"),
            new Field("value", StringType.Default, true),
            TestData.CqIdField(),
            TestData.CqParentIdField(nullable: false),
        ],
        new Dictionary<string, string>
        {
            [CqMetadata.TableName] = SubTable,
            [CqMetadata.TableDependsOn] = SomeTable,
        });

    static Field PrimaryKey(string name) =>
        new(name, Int64Type.Default, false, new Dictionary<string, string> { [CqMetadata.PrimaryKey] = CqMetadata.True });

    /// <summary>Rows <paramref name="first"/>.. of test_some_table, written straight into Arrow buffers.</summary>
    RecordBatch SomeTableBatch(long first, int count)
    {
        var scoreKey = Key(SomeTable, "score");
        var createdKey = Key(SomeTable, "created_at");
        var activeKey = Key(SomeTable, "active");
        var cqIdKey = Key(SomeTable, CqMetadata.CqId);

        var ids = new byte[count * sizeof(long)];
        var scores = new byte[count * sizeof(double)];
        var created = new byte[count * sizeof(long)];
        var active = new byte[BitUtility.ByteCount(count)];
        var cqIds = new byte[count * UuidWidth];
        var names = new Utf8Column(count, "name-".Length + 20);

        var idValues = MemoryMarshal.Cast<byte, long>(ids.AsSpan());
        var scoreValues = MemoryMarshal.Cast<byte, double>(scores.AsSpan());
        var createdValues = MemoryMarshal.Cast<byte, long>(created.AsSpan());
        for (var i = 0; i < count; i++)
        {
            var row = first + i;
            idValues[i] = row;
            names.Append("name-", row);
            // 53 random bits as a fraction, two digits before the point: a plausible score.
            scoreValues[i] = (TestData.RandomAt(scoreKey, row) >> 11) * (100.0 / (1UL << 53));
            createdValues[i] = MicrosFrom2000 + (long)(TestData.RandomAt(createdKey, row) % MicrosPer100Years);
            BitUtility.SetBit(active, i, (TestData.RandomAt(activeKey, row) & 1) == 1);
            WriteUuid(cqIds.AsSpan(i * UuidWidth, UuidWidth), cqIdKey, row);
        }

        IArrowArray[] columns =
        [
            new Int64Array(new ArrowBuffer(ids), ArrowBuffer.Empty, count, 0, 0),
            names.Build(),
            new DoubleArray(new ArrowBuffer(scores), ArrowBuffer.Empty, count, 0, 0),
            new TimestampArray(CreatedAtType, new ArrowBuffer(created), ArrowBuffer.Empty, count, 0, 0),
            new BooleanArray(new ArrowBuffer(active), ArrowBuffer.Empty, count, 0, 0),
            Uuids(cqIds, count, nullCount: 0),
            // Top-level rows have no parent: all null.
            Uuids(new byte[count * UuidWidth], count, nullCount: count),
        ];
        return new RecordBatch(_someTable, columns, count);
    }

    /// <summary>
    /// Children <paramref name="first"/>.. of test_sub_table, numbered across the whole table: child k is
    /// number k % num_sub_rows of parent k / num_sub_rows.
    /// </summary>
    RecordBatch SubTableBatch(long first, int count)
    {
        var parentIds = new byte[count * sizeof(long)];
        var seqs = new byte[count * sizeof(long)];
        var cqIds = new byte[count * UuidWidth];
        var cqParentIds = new byte[count * UuidWidth];
        var values = new Utf8Column(count, "value-".Length + 20);
        var cqIdKey = Key(SubTable, CqMetadata.CqId);
        var parentCqIdKey = Key(SomeTable, CqMetadata.CqId);

        var parentValues = MemoryMarshal.Cast<byte, long>(parentIds.AsSpan());
        var seqValues = MemoryMarshal.Cast<byte, long>(seqs.AsSpan());
        for (var i = 0; i < count; i++)
        {
            var child = first + i;
            var parent = child / _numSubRows;
            parentValues[i] = parent;
            seqValues[i] = child % _numSubRows;
            values.Append("value-", child);
            WriteUuid(cqIds.AsSpan(i * UuidWidth, UuidWidth), cqIdKey, child);
            WriteUuid(cqParentIds.AsSpan(i * UuidWidth, UuidWidth), parentCqIdKey, parent);
        }

        IArrowArray[] columns =
        [
            new Int64Array(new ArrowBuffer(parentIds), ArrowBuffer.Empty, count, 0, 0),
            new Int64Array(new ArrowBuffer(seqs), ArrowBuffer.Empty, count, 0, 0),
            values.Build(),
            Uuids(cqIds, count, nullCount: 0),
            Uuids(cqParentIds, count, nullCount: 0),
        ];
        return new RecordBatch(_subTable, columns, count);
    }

    ulong Key(string table, string column) => TestData.KeyOf(_seed, table + "." + column, 0);

    /// <summary>The uuid of <paramref name="row"/>: a child finds its parent's _cq_id by the parent's row.</summary>
    static void WriteUuid(Span<byte> cell, ulong key, long row) =>
        TestData.WriteUuid(cell, TestData.RandomAt(key, 2 * row), TestData.RandomAt(key, (2 * row) + 1));

    /// <summary>uuid columns are fixed_size_binary(16), which has no builder in the C# library.</summary>
    static FixedSizeBinaryArray Uuids(byte[] values, int count, int nullCount)
    {
        // A zeroed bitmap marks every row null; no bitmap marks none.
        var validity = nullCount == 0 ? ArrowBuffer.Empty : new ArrowBuffer(new byte[BitUtility.ByteCount(count)]);
        var type = CqExtensions.StorageType(CqExtension.Uuid);
        return new FixedSizeBinaryArray(new ArrayData(type, count, nullCount, 0, [validity, new ArrowBuffer(values)]));
    }

    /// <summary>A utf8 column of "prefix + number" strings, formatted straight into the data buffer.</summary>
    sealed class Utf8Column(int capacity, int maxLength)
    {
        readonly byte[] _data = new byte[capacity * maxLength];
        readonly byte[] _offsets = new byte[(capacity + 1) * sizeof(int)];
        int _count;
        int _length;

        public void Append(string prefix, long number)
        {
            var cell = _data.AsSpan(_length);
            for (var c = 0; c < prefix.Length; c++)
            {
                cell[c] = (byte)prefix[c]; // ASCII prefixes only
            }

            number.TryFormat(cell[prefix.Length..], out var digits, default, CultureInfo.InvariantCulture);
            _length += prefix.Length + digits;
            _count++;
            MemoryMarshal.Cast<byte, int>(_offsets.AsSpan())[_count] = _length;
        }

        public StringArray Build() => new(
            _count, new ArrowBuffer(_offsets), new ArrowBuffer(_data.AsMemory(0, _length)), ArrowBuffer.Empty, 0, 0);
    }
}
