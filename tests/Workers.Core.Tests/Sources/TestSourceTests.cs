using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;

namespace Workers.Core.Tests.Sources;

public class TestSourceTests
{
    static readonly string[] AllTables = [TestSource.SomeTable, TestSource.SubTable, TestSource.TestDataTable];

    [Fact]
    public async Task ReadAsync_SameSeed_ProducesIdenticalBatches()
    {
        var spec = new TestSourceSpec { NumRows = 23, NumSubRows = 3, Seed = 5, BatchSize = 10 };

        var first = TestDataTests.Serialize(await Read(new TestSource(spec), AllTables));
        var second = TestDataTests.Serialize(await Read(new TestSource(spec), AllTables));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task ReadAsync_DifferentSeeds_ProduceDifferentBatches()
    {
        foreach (var table in AllTables)
        {
            var first = await Read(new TestSource(new TestSourceSpec { NumRows = 5, NumSubRows = 2, Seed = 1 }), [table]);
            var second = await Read(new TestSource(new TestSourceSpec { NumRows = 5, NumSubRows = 2, Seed = 2 }), [table]);

            Assert.NotEqual(TestDataTests.Serialize(first), TestDataTests.Serialize(second));
            Assert.False(
                Column(first, CqMetadata.CqId).Zip(Column(second, CqMetadata.CqId)).All(p => TestDataTests.ValuesEqual(p.First, p.Second)),
                table);
        }
    }

    [Fact]
    public async Task ReadAsync_RowCounts_FollowSpecAndBatchSize()
    {
        var spec = new TestSourceSpec { NumRows = 25, NumSubRows = 3, BatchSize = 7 };

        var batches = await Read(new TestSource(spec), AllTables);

        Assert.All(batches, b => Assert.InRange(b.Length, 1, 7));
        Assert.Equal(25, Rows(batches, TestSource.SomeTable));
        Assert.Equal(25 * 3, Rows(batches, TestSource.SubTable));
        Assert.Equal(25, Rows(batches, TestSource.TestDataTable));
    }

    [Fact]
    public async Task ReadAsync_ZeroRows_YieldsNothing()
    {
        var batches = await Read(new TestSource(new TestSourceSpec { NumRows = 0 }), AllTables);

        Assert.Empty(batches);
    }

    [Fact]
    public async Task ReadAsync_RequestedTablesOnly()
    {
        var batches = await Read(new TestSource(new TestSourceSpec { NumRows = 3 }), [TestSource.TestDataTable]);

        Assert.All(batches, b => Assert.Equal(TestSource.TestDataTable, TableOf(b)));
        Assert.Equal(3, Rows(batches, TestSource.TestDataTable));
    }

    [Fact]
    public async Task ReadAsync_EveryChild_PointsAtItsParentsCqId()
    {
        var batches = await Read(new TestSource(new TestSourceSpec { NumRows = 12, NumSubRows = 4, BatchSize = 5 }), AllTables);

        var parents = new Dictionary<long, string>();
        foreach (var batch in batches.Where(b => TableOf(b) == TestSource.SomeTable))
        {
            for (var r = 0; r < batch.Length; r++)
            {
                parents.Add((long)ArrowValues.Get(batch.Column("id"), r)!, Hex(batch, CqMetadata.CqId, r));
            }
        }

        var children = 0;
        var seen = new HashSet<long>();
        foreach (var batch in batches)
        {
            if (TableOf(batch) == TestSource.SomeTable)
            {
                for (var r = 0; r < batch.Length; r++)
                {
                    seen.Add((long)ArrowValues.Get(batch.Column("id"), r)!);
                }

                continue;
            }

            if (TableOf(batch) != TestSource.SubTable)
            {
                continue;
            }

            for (var r = 0; r < batch.Length; r++)
            {
                var parentId = (long)ArrowValues.Get(batch.Column("parent_id"), r)!;
                Assert.Contains(parentId, seen); // parents come before their children
                Assert.Equal(parents[parentId], Hex(batch, CqMetadata.CqParentId, r));
                children++;
            }
        }

        Assert.Equal(12 * 4, children);
    }

    [Fact]
    public async Task ReadAsync_OnlySubTable_KeepsTheSameParentLinks()
    {
        var spec = new TestSourceSpec { NumRows = 6, NumSubRows = 2, Seed = 3, BatchSize = 4 };

        var alone = await Read(new TestSource(spec), [TestSource.SubTable]);
        var withParents = await Read(new TestSource(spec), [TestSource.SomeTable, TestSource.SubTable]);

        Assert.All(alone, b => Assert.Equal(TestSource.SubTable, TableOf(b)));
        Assert.Equal(
            TestDataTests.Serialize(alone),
            TestDataTests.Serialize(withParents.Where(b => TableOf(b) == TestSource.SubTable)));
    }

    [Fact]
    public async Task ReadAsync_BatchSize_DoesNotChangeNarrowTables()
    {
        var small = await Read(new TestSource(new TestSourceSpec { NumRows = 20, NumSubRows = 3, Seed = 8, BatchSize = 3 }), [TestSource.SomeTable, TestSource.SubTable]);
        var large = await Read(new TestSource(new TestSourceSpec { NumRows = 20, NumSubRows = 3, Seed = 8, BatchSize = 1000 }), [TestSource.SomeTable, TestSource.SubTable]);

        foreach (var table in new[] { TestSource.SomeTable, TestSource.SubTable })
        {
            var a = Cells(small.Where(b => TableOf(b) == table));
            var b = Cells(large.Where(b => TableOf(b) == table));
            Assert.Equal(a.Count, b.Count);
            Assert.All(Enumerable.Range(0, a.Count), i => Assert.True(TestDataTests.ValuesEqual(a[i], b[i]), table));
        }
    }

    [Fact]
    public async Task ReadAsync_CqIds_AreUniqueAcrossTables()
    {
        var batches = await Read(new TestSource(new TestSourceSpec { NumRows = 50, NumSubRows = 5, BatchSize = 16 }), AllTables);

        var ids = batches.SelectMany(b => Enumerable.Range(0, b.Length).Select(r => Hex(b, CqMetadata.CqId, r))).ToList();

        Assert.Equal(50 + (50 * 5) + 50, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task ReadAsync_SomeTable_HasSequentialIdsAndNoParents()
    {
        var batches = await Read(new TestSource(new TestSourceSpec { NumRows = 15, BatchSize = 4 }), [TestSource.SomeTable]);

        var ids = batches.SelectMany(b => Enumerable.Range(0, b.Length).Select(r => (long)ArrowValues.Get(b.Column("id"), r)!));
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (long)i), ids);
        Assert.All(batches, b =>
        {
            Assert.Equal(b.Length, b.Column(CqMetadata.CqParentId).NullCount);
            Assert.All(b.Arrays.Take(b.ColumnCount - 1), a => Assert.Equal(0, a.NullCount));
        });
    }

    [Fact]
    public async Task ReadAsync_TestDataTable_MatchesTestDataGenerate()
    {
        var source = new TestSource(new TestSourceSpec { NumRows = 9, Seed = 4, BatchSize = 5 });

        var batches = await Read(source, [TestSource.TestDataTable]);

        var schema = source.Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.TestDataTable);
        Assert.Equal(
            TestDataTests.Serialize([TestData.Generate(schema, 5, new TestDataOptions(4, 0)), TestData.Generate(schema, 4, new TestDataOptions(4, 5))]),
            TestDataTests.Serialize(batches));
    }

    [Fact]
    public async Task ReadAsync_UnknownTable_Throws()
    {
        var source = new TestSource(new TestSourceSpec());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Read(source, ["nope"]));

        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Cancelled_StopsBetweenBatches()
    {
        var source = new TestSource(new TestSourceSpec { NumRows = 100, BatchSize = 10 });
        using var cts = new CancellationTokenSource();
        var seen = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var batch in source.ReadAsync([TestSource.SomeTable], cts.Token))
            {
                seen++;
                await cts.CancelAsync();
            }
        });

        Assert.Equal(1, seen);
    }

    [Fact]
    public void Tables_CarryCloudQueryMetadata()
    {
        var tables = new TestSource(new TestSourceSpec()).Tables.ToDictionary(t => t.Metadata[CqMetadata.TableName]);

        Assert.Equal(AllTables.Order(), tables.Keys.Order());
        var some = tables[TestSource.SomeTable];
        Assert.Equal(["id", "name", "score", "created_at", "active", CqMetadata.CqId, CqMetadata.CqParentId], some.FieldsList.Select(f => f.Name));
        Assert.Equal(["id"], PrimaryKeys(some));
        Assert.Equal("UTC", ((TimestampType)some.GetFieldByName("created_at").DataType).Timezone);
        Assert.Equal(CqMetadata.True, some.GetFieldByName(CqMetadata.CqId).Metadata[CqMetadata.Unique]);

        var sub = tables[TestSource.SubTable];
        Assert.Equal(TestSource.SomeTable, sub.Metadata[CqMetadata.TableDependsOn]);
        Assert.Equal(["parent_id", "seq"], PrimaryKeys(sub));
        Assert.False(sub.GetFieldByName(CqMetadata.CqParentId).IsNullable);
        Assert.Equal(CqExtension.Uuid, CqExtensions.Of(sub.GetFieldByName(CqMetadata.CqParentId)));

        Assert.False(tables[TestSource.TestDataTable].Metadata.ContainsKey(CqMetadata.TableDependsOn));
    }

    [Fact]
    public void Spec_Defaults_AreValid()
    {
        var spec = new TestSourceSpec();

        Assert.Empty(spec.Validate());
        Assert.Equal((10, 10, 0, 10_000), (spec.NumRows, spec.NumSubRows, spec.Seed, spec.BatchSize));
    }

    [Theory]
    [InlineData(-1, 10, 10, "num_rows: must be zero or more, got -1")]
    [InlineData(10, -2, 10, "num_sub_rows: must be zero or more, got -2")]
    [InlineData(10, 10, 0, "batch_size: must be between 1 and 1000000, got 0")]
    [InlineData(10, 10, 1_000_001, "batch_size: must be between 1 and 1000000, got 1000001")]
    public void Spec_Invalid_NamesTheField(int numRows, int numSubRows, int batchSize, string expected)
    {
        var spec = new TestSourceSpec { NumRows = numRows, NumSubRows = numSubRows, BatchSize = batchSize };

        Assert.Equal([expected], spec.Validate());
    }

    [Fact]
    public void Constructor_InvalidSpec_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new TestSource(new TestSourceSpec { BatchSize = 0 }));

        Assert.Contains("batch_size", error.Message, StringComparison.Ordinal);
    }

    static async Task<List<RecordBatch>> Read(TestSource source, IReadOnlyCollection<string> tables)
    {
        var batches = new List<RecordBatch>();
        await foreach (var batch in source.ReadAsync(tables, CancellationToken.None))
        {
            batches.Add(batch);
        }

        return batches;
    }

    static string TableOf(RecordBatch batch) => batch.Schema.Metadata[CqMetadata.TableName];

    static int Rows(IEnumerable<RecordBatch> batches, string table) => batches.Where(b => TableOf(b) == table).Sum(b => b.Length);

    static string Hex(RecordBatch batch, string column, int row) =>
        Convert.ToHexString(((FixedSizeBinaryArray)batch.Column(column)).GetBytes(row));

    static List<string> PrimaryKeys(Apache.Arrow.Schema schema) =>
        schema.FieldsList
            .Where(f => f.Metadata is { } m && m.TryGetValue(CqMetadata.PrimaryKey, out var pk) && pk == CqMetadata.True)
            .Select(f => f.Name)
            .ToList();

    static List<object?> Cells(IEnumerable<RecordBatch> batches) =>
        batches.SelectMany(b => Enumerable.Range(0, b.Length).SelectMany(r => b.Arrays.Select(a => ArrowValues.Get(a, r)))).ToList();

    static List<object?> Column(IEnumerable<RecordBatch> batches, string column) =>
        batches.SelectMany(b => Enumerable.Range(0, b.Length).Select(r => ArrowValues.Get(b.Column(column), r))).ToList();
}
