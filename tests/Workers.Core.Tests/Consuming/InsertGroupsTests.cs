using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.Sqlite;
using Workers.Messaging.Consuming;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Consuming;

/// <summary>
/// The gathering of inserts on a fake clock, writing through the real group write into SQLite: which limit closes
/// a group, and what each member hears back.
/// </summary>
public sealed class InsertGroupsTests : IDisposable
{
    static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(100);

    readonly string _directory = Directory.CreateTempSubdirectory("workers-groups-").FullName;
    readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    readonly SyncInfo _sync = SyncInfo.Start("groups", TimeProvider.System);
    readonly ConcurrentQueue<int> _groups = new();
    DestinationWriter? _writer;

    [Fact]
    public async Task RowsReachBatchSize_TheGroupIsWrittenAtOnce_InOneWrite()
    {
        var groups = Groups(new GroupLimits(Rows: 30, Bytes: long.MaxValue, Timeout: TimeSpan.FromMinutes(1)));

        var first = Add(groups, "size_t", 10, 0);
        var second = Add(groups, "size_t", 10, 10);
        Assert.False(first.IsCompleted || second.IsCompleted);
        var third = Add(groups, "size_t", 10, 20);

        var results = await Task.WhenAll(first, second, third);
        Assert.All(results, r => Assert.Equal(10, r!.Rows));
        Assert.Equal([3], _groups);
        Assert.Equal(30, await CountAsync("size_t"));
    }

    [Fact]
    public async Task BodiesReachBatchSizeBytes_TheGroupIsWrittenAtOnce()
    {
        var groups = Groups(new GroupLimits(Rows: int.MaxValue, Bytes: 2_000, Timeout: TimeSpan.FromMinutes(1)));

        var first = Add(groups, "bytes_t", 5, 0, bytes: 1_000);
        Assert.False(first.IsCompleted);
        var second = Add(groups, "bytes_t", 5, 5, bytes: 1_000);

        await Task.WhenAll(first, second);
        Assert.Equal([2], _groups);
        Assert.Equal(10, await CountAsync("bytes_t"));
    }

    [Fact]
    public async Task GroupMessagesReached_TheGroupIsWrittenAtOnce_AndTheNextOpensAnother()
    {
        var groups = Groups(new GroupLimits(int.MaxValue, long.MaxValue, TimeSpan.FromMinutes(1)), groupMessages: 2);

        var full = new[] { Add(groups, "count_t", 1, 0), Add(groups, "count_t", 1, 1) };
        await Task.WhenAll(full);
        var next = Add(groups, "count_t", 1, 2);

        Assert.Equal([2], _groups);
        Assert.False(next.IsCompleted);
        _clock.Advance(Idle);
        await next;
        Assert.Equal([2, 1], _groups);
    }

    [Fact]
    public async Task NothingNewForGroupIdle_TheGroupIsWritten()
    {
        var groups = Groups(new GroupLimits(int.MaxValue, long.MaxValue, TimeSpan.FromMinutes(1)));

        var first = Add(groups, "idle_t", 3, 0);
        _clock.Advance(Idle / 2);
        var second = Add(groups, "idle_t", 3, 3);
        _clock.Advance(Idle / 2);
        Assert.False(first.IsCompleted, "the second message restarted the idle wait");

        _clock.Advance(Idle / 2);
        await Task.WhenAll(first, second);
        Assert.Equal([2], _groups);
        Assert.Equal(6, await CountAsync("idle_t"));
    }

    [Fact]
    public async Task GroupOlderThanBatchTimeout_IsWritten_ThoughMessagesKeepComing()
    {
        var timeout = TimeSpan.FromMilliseconds(250);
        var groups = Groups(new GroupLimits(int.MaxValue, long.MaxValue, timeout));

        var members = new List<Task<ApplyResult?>>();
        for (var i = 0; i < 3; i++)
        {
            members.Add(Add(groups, "age_t", 1, i));
            _clock.Advance(TimeSpan.FromMilliseconds(80));   // never idle for 100 ms
        }

        Assert.DoesNotContain(members, m => m.IsCompleted);
        _clock.Advance(TimeSpan.FromMilliseconds(10));   // 250 ms since the first
        await Task.WhenAll(members);
        Assert.Equal([3], _groups);
    }

    [Fact]
    public async Task BatchAlreadyApplied_IsSkippedAlone_TheOthersAreWritten()
    {
        var groups = Groups(new GroupLimits(Rows: 15, long.MaxValue, TimeSpan.FromMinutes(1)));
        var applied = Guid.NewGuid();
        var earlier = Add(groups, "dup_t", 5, 0, batchId: applied);
        _clock.Advance(Idle);
        Assert.Equal(5, (await earlier)!.Rows);

        var again = Add(groups, "dup_t", 5, 0, batchId: applied);
        var fresh = new[] { Add(groups, "dup_t", 5, 5), Add(groups, "dup_t", 5, 10) };

        Assert.Equal(0, (await again)!.Rows);
        Assert.Contains("already applied", (await again)!.Summary, StringComparison.Ordinal);
        Assert.All(await Task.WhenAll(fresh), r => Assert.Equal(5, r!.Rows));
        Assert.Equal(15, await CountAsync("dup_t"));
    }

    [Fact]
    public async Task GroupWriteFails_EveryMemberIsToldToApplyAlone_AndNothingOfTheGroupLanded()
    {
        var groups = Groups(new GroupLimits(Rows: 10, long.MaxValue, TimeSpan.FromMinutes(1)));
        var good = Add(groups, "poison_t", 5, 0);
        // The same table with id as text: a change safe migration refuses, poison for the whole group write.
        var bad = groups.AddAsync(Insert("poison_t", 5, 5, Guid.NewGuid(), textIds: true), 100, _clock.GetTimestamp(), CancellationToken.None);

        Assert.Null(await good);
        Assert.Null(await bad);
        Assert.Empty(_groups);
        Assert.Equal(0, await CountAsync("poison_t"));
    }

    [Fact]
    public async Task DeliveryCancelledWhileGathering_EveryMemberIsToldToApplyAlone_NothingWritten()
    {
        var groups = Groups(new GroupLimits(int.MaxValue, long.MaxValue, TimeSpan.FromMinutes(1)));
        using var stop = new CancellationTokenSource();
        var stopped = groups.AddAsync(Insert("stop_t", 2, 0, Guid.NewGuid()), 100, _clock.GetTimestamp(), stop.Token);
        var other = Add(groups, "stop_t", 2, 2);

        await stop.CancelAsync();

        Assert.Null(await stopped);
        Assert.Null(await other);
        _clock.Advance(Idle);
        Assert.Empty(_groups);
    }

    [Fact]
    public async Task TablesAreGatheredApart()
    {
        var groups = Groups(new GroupLimits(Rows: 4, long.MaxValue, TimeSpan.FromMinutes(1)));

        var a = new[] { Add(groups, "apart_a", 2, 0), Add(groups, "apart_a", 2, 2) };
        var b = Add(groups, "apart_b", 2, 0);
        await Task.WhenAll(a);

        Assert.False(b.IsCompleted);
        _clock.Advance(Idle);
        await b;
        Assert.Equal([2, 1], _groups);
    }

    [Fact]
    public async Task AGroupWrite_IsOneSpanUnderTheDeliveryThatFilledIt_LinkedToEveryMembersConsumeSpan()
    {
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == Core.Tracing.WorkersActivities.SourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        System.Diagnostics.Activity? written = null;
        var groups = Groups(new GroupLimits(Rows: 20, Bytes: long.MaxValue, Timeout: TimeSpan.FromMinutes(1)), onWrite: () => written = System.Diagnostics.Activity.Current);
        var consumes = new List<System.Diagnostics.ActivityContext>();
        var members = new List<Task<ApplyResult?>>();
        for (var i = 0; i < 2; i++)
        {
            using var consume = new System.Diagnostics.Activity("consume " + i).Start();
            consumes.Add(consume.Context);
            members.Add(Add(groups, "span_t", 10, i * 10));
        }

        await Task.WhenAll(members);

        Assert.NotNull(written);
        Assert.Equal("group span_t", written.DisplayName);
        Assert.Equal(consumes, written.Links.Select(l => l.Context));
        Assert.Equal(consumes[1].SpanId, written.ParentSpanId);
        Assert.Equal(2, written.GetTagItem("workers.group.messages"));
        Assert.Equal(20L, written.GetTagItem("workers.group.rows"));
    }

    InsertGroups Groups(GroupLimits limits, int groupMessages = 500, Action? onWrite = null)
    {
        var yaml = new YamlMappingNode { { "connection_string", Path.Combine(_directory, "groups.db") } };
        var spec = new DestinationSpec("local", "sqlite", WriteMode.Append, MigrateMode.Safe, PkMode.Default, yaml, "test");
        _writer = new DestinationWriter(spec, new SqliteDestinationFactory().Create(spec));
        var options = new WorkerOptions { Clock = _clock, GroupIdle = Idle, GroupMessages = groupMessages };
        var writer = _writer;
        return new InsertGroups(limits, options, async (inserts, _, ct) =>
        {
            onWrite?.Invoke();
            var results = await writer.ApplyGroupAsync(inserts, ct);
            _groups.Enqueue(inserts.Count);
            return results;
        }, null, "local", NullLogger.Instance);
    }

    Task<ApplyResult?> Add(InsertGroups groups, string table, int rows, int firstId, long bytes = 100, Guid? batchId = null) =>
        groups.AddAsync(Insert(table, rows, firstId, batchId ?? Guid.NewGuid()), bytes, _clock.GetTimestamp(), CancellationToken.None);

    InsertMessage Insert(string table, int rows, int firstId, Guid batchId, bool textIds = false)
    {
        var schema = Schema(table, textIds);
        var batch = SyncColumns.AddTo(TestData.Generate(schema, rows, new TestDataOptions(1, FirstId: firstId)), _sync);
        return (InsertMessage)WireCodec.Decode(WireCodec.EncodeInsert(_sync, batchId, batch));
    }

    async Task<int> CountAsync(string table) =>
        (await _writer!.Destination.ReadAsync(TableSchema.FromArrow(Schema(table, false)), CancellationToken.None)).Count;

    static Apache.Arrow.Schema Schema(string table, bool textIds)
    {
        var source = new TestSource(new TestSourceSpec());
        var some = source.Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
        var fields = some.FieldsList.Select(f => textIds && f.Name == "id" ? new Apache.Arrow.Field(f.Name, Apache.Arrow.Types.StringType.Default, f.IsNullable, f.Metadata) : f);
        return new Apache.Arrow.Schema(fields, new Dictionary<string, string> { [CqMetadata.TableName] = table });
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
