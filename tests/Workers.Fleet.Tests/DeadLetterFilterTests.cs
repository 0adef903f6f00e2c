using System.Text;
using RabbitMQ.Client;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;

namespace Workers.Fleet.Tests;

/// <summary>
/// `workers dlq` filters, limits and purge on a real broker: dead letters laid into a quorum error queue exactly
/// as a worker leaves them, then each command run as a real process; every step checks what went to
/// <c>workers.DEST</c> and what stayed in the error queue, in which order.
/// </summary>
public sealed class DeadLetterFilterTests : IAsyncLifetime
{
    const string Refused = "Workers.Core.Destinations.MigrationRefusedException";
    const string Violation = "Workers.Core.Contract.ContractViolationException";

    readonly string _destination = "dlqf" + Guid.NewGuid().ToString("N")[..8];
    readonly List<WireMessage> _letters = [];
    IConnection _connection = null!;

    string ErrorQueue => $"workers.{_destination}_error";

    string MainQueue => $"workers.{_destination}";

    public async Task InitializeAsync()
    {
        _connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMqUrl) }.CreateConnectionAsync();
        await using var channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false, arguments: Workers.Messaging.RabbitMq.WorkerQueues.ErrorArguments(_destination));
        var now = DateTime.UtcNow;
        (string Table, string Exception, TimeSpan Ago, int Replays)[] letters =
        [
            ("dlq_a", Refused, TimeSpan.FromHours(2), 0),   // 1
            ("dlq_b", Violation, TimeSpan.FromMinutes(1), 0), // 2
            ("dlq_a", Violation, TimeSpan.FromMinutes(1), 0), // 3
            ("dlq_b", Refused, TimeSpan.FromDays(3), 0),    // 4
            ("dlq_a", Refused, TimeSpan.FromMinutes(1), 0), // 5
            ("dlq_a", Refused, TimeSpan.FromMinutes(1), 3), // 6: replayed three times already
        ];
        await PublishAsync(channel, letters.Select(l => (l.Table, l.Exception, now - l.Ago, l.Replays)));
    }

    /// <summary>Dead letters as a worker leaves them: a real insert's body and headers plus the failure headers.</summary>
    async Task PublishAsync(IChannel channel, IEnumerable<(string Table, string Exception, DateTime FailedAt, int Replays)> letters)
    {
        foreach (var (table, exception, failedAt, replays) in letters)
        {
            var sync = SyncInfo.Start("dlq", TimeProvider.System);
            var wire = WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(Schema(table), 3, new TestDataOptions(_letters.Count)), sync));
            _letters.Add(wire);
            var headers = wire.Headers.ToDictionary(h => h.Key, h => (object?)Encoding.UTF8.GetBytes(h.Value));
            headers["x-workers-reason"] = Encoding.UTF8.GetBytes($"{(exception == Refused ? "migration refused" : "contract violation")}: letter {_letters.Count}");
            headers["x-workers-exception-type"] = Encoding.UTF8.GetBytes(exception);
            headers["x-workers-attempts"] = Encoding.UTF8.GetBytes("1");
            headers["x-workers-worker"] = Encoding.UTF8.GetBytes("host:1");
            headers["x-workers-failed-at"] = Encoding.UTF8.GetBytes(SyncTimes.Format(failedAt));
            headers["MT-Fault-Message"] = Encoding.UTF8.GetBytes("fault");
            headers["MT-Fault-StackTrace"] = Encoding.UTF8.GetBytes("   at Somewhere()");
            if (replays > 0)
            {
                headers["x-replay-count"] = Encoding.UTF8.GetBytes(replays.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var properties = new BasicProperties
            {
                ContentType = WireHeaders.ContentType,
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = wire.MessageId.ToString(),
                Headers = headers,
            };
            await channel.BasicPublishAsync("", ErrorQueue, mandatory: true, properties, wire.Body);
        }
    }

    [Fact]
    public async Task EachFilter_SelectsExactlyWhatItSays_TheRestStayInOrder()
    {
        await WaitForCount(ErrorQueue, 6);

        // Dry run: says what it would do, touches nothing.
        var dry = await Cli("dlq", "replay", _destination, "--table", "dlq_a", "--exception", "MigrationRefusedException", "--since", "1h", "--dry-run");
        Assert.Equal(0, dry.Exit);
        Assert.Contains($"would replay  #5 {_letters[4].MessageId}", dry.Output, StringComparison.Ordinal);
        Assert.Contains($"held          #6 {_letters[5].MessageId}", dry.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("#1 ", dry.Output, StringComparison.Ordinal);
        Assert.Equal(Ids(1, 2, 3, 4, 5, 6), await Drain(ErrorQueue, requeue: true));
        Assert.Empty(await Drain(MainQueue, requeue: false));

        // --exception, by its full name: 2 and 3, in order, as they were first published plus x-replay-count.
        Assert.Equal(0, (await Cli("dlq", "replay", _destination, "--exception", Violation)).Exit);
        var replayed = await DrainMessages(MainQueue);
        Assert.Equal(Ids(2, 3), replayed.Select(m => m.BasicProperties.MessageId));
        foreach (var (message, original) in replayed.Zip([_letters[1], _letters[2]]))
        {
            // What broker and client add for themselves (a quorum queue's delivery count, the client's confirm tag) is not ours to compare.
            var headers = message.BasicProperties.Headers!.Where(h => h.Key is not ("x-delivery-count" or "x-dotnet-pub-seq-no")).ToDictionary(h => h.Key, h => h.Value is byte[] b ? Encoding.UTF8.GetString(b) : $"{h.Key}:{h.Value}");
            Assert.Equal("1", headers["x-replay-count"]);
            Assert.DoesNotContain(headers.Keys, k => k.StartsWith("x-workers-", StringComparison.Ordinal) || k.StartsWith("MT-Fault-", StringComparison.Ordinal));
            Assert.Equal(original.Headers.OrderBy(h => h.Key), headers.Where(h => h.Key != "x-replay-count").OrderBy(h => h.Key));
            Assert.Equal(original.Body.ToArray(), message.Body.ToArray());
            Assert.Equal(WireHeaders.ContentType, message.BasicProperties.ContentType);
            Assert.Equal(DeliveryModes.Persistent, message.BasicProperties.DeliveryMode);
        }

        Assert.Equal(Ids(1, 4, 5, 6), await Drain(ErrorQueue, requeue: true));

        // --since: 5 (6 matches too but is at the replay limit, and stays).
        var since = await Cli("dlq", "replay", _destination, "--since", "30m");
        Assert.Contains("replayed 1, 1 over the replay limit", since.Output, StringComparison.Ordinal);
        Assert.Equal(Ids(5), await Drain(MainQueue, requeue: false));
        Assert.Equal(Ids(1, 4, 6), await Drain(ErrorQueue, requeue: true));

        // --max, with the limit raised: only the first in queue order.
        Assert.Equal(0, (await Cli("dlq", "replay", _destination, "--max", "1", "--max-replays", "10")).Exit);
        Assert.Equal(Ids(1), await Drain(MainQueue, requeue: false));
        Assert.Equal(Ids(4, 6), await Drain(ErrorQueue, requeue: true));

        // --table on purge: without --yes nothing goes and the exit code says so.
        var unconfirmed = await Cli("dlq", "purge", _destination, "--table", "dlq_b");
        Assert.Equal(1, unconfirmed.Exit);
        Assert.Contains("1 dead letter (table dlq_b) would be deleted; nothing was deleted", unconfirmed.Output, StringComparison.Ordinal);
        Assert.Equal(Ids(4, 6), await Drain(ErrorQueue, requeue: true));
        Assert.Equal(0, (await Cli("dlq", "purge", _destination, "--table", "dlq_b", "--yes")).Exit);
        Assert.Equal(Ids(6), await Drain(ErrorQueue, requeue: true));

        // The one at the limit is flagged in list and stays through a plain replay.
        var list = await Cli("dlq", "list", _destination);
        Assert.Contains("1 dead letter", list.Output, StringComparison.Ordinal);
        Assert.Contains("3 (limit)", list.Output, StringComparison.Ordinal);
        var held = await Cli("dlq", "replay", _destination);
        Assert.Contains("replayed 0, 1 over the replay limit", held.Output, StringComparison.Ordinal);
        Assert.Empty(await Drain(MainQueue, requeue: false));
        Assert.Equal(Ids(6), await Drain(ErrorQueue, requeue: true));
    }

    [Fact]
    public async Task ReplayNackedByTheBroker_Fails_KeepsWhatWasNotConfirmed_InOrder()
    {
        await WaitForCount(ErrorQueue, 6);
        // A policy caps workers.DEST at two messages and makes the broker nack the rest: the replay has them all in
        // flight at once, acks only the confirmed ones, and stops with the nack's error.
        var policy = "cap" + _destination;
        await InfraServices.RabbitMqCtlAsync("set_policy", "--apply-to", "queues", "--priority", "100", policy, $"^{MainQueue.Replace(".", "\\.", StringComparison.Ordinal)}$",
            """{"max-length": 2, "overflow": "reject-publish"}""");
        try
        {
            var replay = await Cli("dlq", "replay", _destination);
            Assert.True(replay.Exit == 1, replay.Output);
            Assert.Contains($"the broker refused a message for {MainQueue} (nacked it", replay.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", replay.Output, StringComparison.Ordinal);

            // What the queue took (its limit is approximate on a quorum queue) is what was reported replayed and
            // acked; the rest is in the error queue in its order, nothing in both, nothing lost.
            var replayed = await Drain(MainQueue, requeue: false);
            Assert.InRange(replayed.Length, 1, 4);
            Assert.Equal(Ids(1, 2, 3, 4, 5)[..replayed.Length], replayed);
            Assert.Equal(replayed.Length, replay.Output.Split('\n').Count(l => l.StartsWith("replayed      #", StringComparison.Ordinal)));
            Assert.Equal(Ids(1, 2, 3, 4, 5, 6)[replayed.Length..], await Drain(ErrorQueue, requeue: true));
        }
        finally
        {
            await InfraServices.RabbitMqCtlAsync("clear_policy", policy);
        }
    }

    [Fact]
    public async Task ReplayStoppedBySigterm_ReplayedOnesLeft_TheRestStayInOrder_NothingLost()
    {
        await WaitForCount(ErrorQueue, 6);
        await using (var channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            // Enough that a replay cannot finish before the test has seen it under way and stopped it.
            await PublishAsync(channel, Enumerable.Range(0, 1000).Select(i => (i % 2 == 0 ? "dlq_a" : "dlq_b", Violation, DateTime.UtcNow, 0)));
        }

        await WaitForCount(ErrorQueue, 1006);
        var before = await Drain(ErrorQueue, requeue: true);
        string replayOutput;
        using (var replay = WorkersProcess.Start(new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl }, "dlq", "replay", _destination, "--table", "dlq_a"))
        {
            await replay.WaitForOutputAsync("replayed      #41 ", TimeSpan.FromSeconds(60));
            Assert.False(replay.HasExited, "the replay finished before it could be stopped:\n" + replay.Output);
            replay.Terminate();
            Assert.Equal(130, await replay.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("interrupted: replayed ", replay.Output, StringComparison.Ordinal);
            replayOutput = replay.Output;
        }

        var replayed = await Drain(MainQueue, requeue: false);
        var left = await Drain(ErrorQueue, requeue: true);
        Assert.InRange(replayed.Length, 20, 502);
        Assert.All(replayed, id => Assert.Equal("dlq_a", _letters.Single(l => l.MessageId.ToString() == id).Header(WireHeaders.Table)));
        // Nothing lost: every message is in one queue or the other (one whose confirm was in flight may be in both).
        Assert.Empty(before.Except(replayed).Except(left));
        Assert.InRange(replayed.Intersect(left).Count(), 0, 1);
        // The error queue keeps its original order.
        Assert.True(before.Where(left.Contains).SequenceEqual(left),
            "the error queue lost its order; positions before the replay: " + string.Join(",", left.Select(id => Array.IndexOf(before, id))) + "\n" + replayOutput);
    }

    [Fact]
    public async Task BadSince_NamesTheOption_ChangesNothing()
    {
        await WaitForCount(ErrorQueue, 6);
        var result = await Cli("dlq", "purge", _destination, "--since", "soon", "--yes");
        Assert.Equal(2, result.Exit);
        Assert.Contains("--since: 'soon' is not a duration", result.Output, StringComparison.Ordinal);
        Assert.Equal(Ids(1, 2, 3, 4, 5, 6), await Drain(ErrorQueue, requeue: true));
    }

    string[] Ids(params int[] letters) => letters.Select(n => _letters[n - 1].MessageId.ToString()).ToArray();

    /// <summary>Every message id in <paramref name="queue"/>, in order; with requeue they go back where they were.</summary>
    async Task<string[]> Drain(string queue, bool requeue) =>
        requeue ? await Peek(queue) : (await DrainMessages(queue)).Select(m => m.BasicProperties.MessageId!).ToArray();

    async Task<string[]> Peek(string queue)
    {
        await WaitForSettled(queue);
        await using var channel = await _connection.CreateChannelAsync();
        await using var probe = await _connection.CreateChannelAsync();
        var ids = new List<string>();
        var tags = new List<ulong>();
        while (await channel.BasicGetAsync(queue, autoAck: false) is { } got)
        {
            ids.Add(got.BasicProperties.MessageId!);
            tags.Add(got.DeliveryTag);
        }

        // A quorum queue returns more than 32 messages at once in hash order: give them back 32 at a time, waiting
        // for each batch to show in the count, so that looking does not reorder what the test then checks.
        foreach (var chunk in tags.Chunk(32))
        {
            var before = (await probe.QueueDeclarePassiveAsync(queue)).MessageCount;
            await channel.BasicNackAsync(chunk[^1], multiple: true, requeue: true);
            for (var i = 0; i < 1000 && (await probe.QueueDeclarePassiveAsync(queue)).MessageCount < before + chunk.Length; i++)
            {
                await Task.Delay(5);
            }
        }

        return [.. ids];
    }

    async Task<List<BasicGetResult>> DrainMessages(string queue)
    {
        await WaitForSettled(queue);
        await using var channel = await _connection.CreateChannelAsync();
        var messages = new List<BasicGetResult>();
        try
        {
            while (await channel.BasicGetAsync(queue, autoAck: true) is { } got)
            {
                messages.Add(got);
            }
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // The main queue does not exist until a replay declares it.
        }

        return messages;
    }

    // Returns from a closed channel reach a quorum queue a moment later; wait until its count stops moving.
    static async Task WaitForSettled(string queue)
    {
        var last = uint.MaxValue;
        for (var i = 0; i < 50; i++)
        {
            var now = await Broker.CountAsync(queue);
            if (now == last)
            {
                return;
            }

            last = now;
            await Task.Delay(100);
        }
    }

    static async Task WaitForCount(string queue, uint count)
    {
        for (var i = 0; i < 100 && await Broker.CountAsync(queue) != count; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(count, await Broker.CountAsync(queue));
    }

    static async Task<(int Exit, string Output)> Cli(params string[] arguments)
    {
        using var process = WorkersProcess.Start(new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl, ["WORKERS_DLQ_MAX_REPLAYS"] = "" }, arguments);
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, process.Output);
    }

    static Apache.Arrow.Schema Schema(string table)
    {
        var some = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
        return new Apache.Arrow.Schema(some.FieldsList, new Dictionary<string, string> { [CqMetadata.TableName] = table });
    }

    public async Task DisposeAsync()
    {
        await Broker.DeleteAsync(MainQueue, ErrorQueue);
        await _connection.DisposeAsync();
    }
}
