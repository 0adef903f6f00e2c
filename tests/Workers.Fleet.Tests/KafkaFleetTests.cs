using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.Kafka;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;
using Workers.Messaging.Resilience;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// The Kafka destination in a fleet, through real RabbitMQ: two worker processes, one killed mid-run and replaced,
/// and a cluster that cannot be reached. What a consumer of the topic then sees is what docs/destinations/kafka.md
/// promises: every row, and copies only under the same key.
/// </summary>
public sealed class KafkaFleetTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    const int Rows = 60_000;
    const int SourceBatch = 600;
    const int MessageRows = 300;

    readonly string _directory = Directory.CreateTempSubdirectory("workers-kafka-").FullName;
    readonly string _destination = "kafka" + Guid.NewGuid().ToString("N")[..8];

    // Topics are named after tables, and the test source's are fixed: on a shared real cluster a topic holds other
    // runs' messages too, so each test keeps only the messages whose cq-source-name or cq-sync-id header is its own.
    readonly string _source = "kafka-crash-" + Guid.NewGuid().ToString("N")[..8];
    readonly KafkaCluster _cluster = KafkaCluster.Start();

    [Fact]
    public async Task TwoWorkers_OneKilledMidRun_EveryRowOnTheTopic_CopiesOnlyUnderTheSameKey()
    {
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };
        var config = Config();
        var workers = Enumerable.Range(0, 2).Select(_ => WorkersProcess.Start(environment, "run", config, "--concurrency", "1")).ToList();
        string Outputs() => string.Join("\n---\n", workers.Select(w => w.Output));
        int Written() => workers.Sum(w => CountOf(w.Output, $"wrote {SourceBatch} rows"));
        try
        {
            foreach (var worker in workers)
            {
                await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
            }

            // Kill one worker hard as soon as it has written, while the sync is still publishing, then replace it.
            using (var sync = WorkersProcess.Start(environment, "sync", config))
            {
                await Eventually.WaitFor(() => Task.FromResult(CountOf(workers[0].Output, "wrote") >= 1), TimeSpan.FromSeconds(120), Outputs);
                workers[0].Kill();
                var writtenAtKill = Written();
                output.WriteLine($"killed after {writtenAtKill} of {Rows / SourceBatch} batches were written");
                Assert.True(writtenAtKill < Rows / SourceBatch, $"the kill came too late to prove anything: {writtenAtKill} batches were already written");
                workers.Add(WorkersProcess.Start(environment, "run", config));
                Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, sync.Output);
            }

            await using var reader = ReadBack();
            var table = TableSchema.FromArrow(SomeTable());
            var distinctKeys = Rows / MessageRows;
            List<Confluent.Kafka.ConsumeResult<string, byte[]>> messages = [];
            await Eventually.WaitFor(async () =>
            {
                messages = (await reader.ReadMessagesAsync(TestSource.SomeTable, CancellationToken.None))
                    .Where(m => KafkaHeaders.Get(m.Message.Headers, WireHeaders.SourceName) == _source).ToList();
                return messages.Select(m => m.Message.Key).Distinct().Count() == distinctKeys;
            }, TimeSpan.FromSeconds(180), async () => TopicReport(messages, workers) + "\n" + await QueueReport() + "\n" + Outputs());

            output.WriteLine($"{messages.Count} messages under {distinctKeys} keys");

            // Copies, if the kill left any, are whole: same key, same partition, same value, same headers.
            foreach (var copies in messages.GroupBy(m => m.Message.Key).Where(g => g.Count() > 1))
            {
                Assert.All(copies, c => Assert.Equal(copies.First().Partition, c.Partition));
                Assert.All(copies, c => Assert.Equal(copies.First().Message.Value, c.Message.Value));
                Assert.All(copies, c => Assert.Equal(KafkaHeaders.Get(copies.First().Message.Headers, WireHeaders.BatchId), KafkaHeaders.Get(c.Message.Headers, WireHeaders.BatchId)));
            }

            var ids = new List<long>();
            foreach (var message in messages.GroupBy(m => m.Message.Key).Select(g => g.First()))
            {
                var rows = await reader.Clients.Spec.Encoder.DecodeAsync(table, message.Message.Value, CancellationToken.None);
                ids.AddRange(rows.Select(r => (long)r[table.Columns.ToList().FindIndex(c => c.Name == "id")]!));
            }

            Assert.Equal(Rows, ids.Count);
            Assert.Equal(Rows, ids.Distinct().Count());
            Assert.DoesNotContain(workers, w => w.Output.Contains("Dead-lettering", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    [Fact]
    public async Task ClusterUnreachable_NothingDeadLettered_TheBatchWaitsAndLandsOnceACLusterAnswers()
    {
        var quick = new KafkaTimeouts(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
        var options = new WorkerOptions
        {
            ConcurrentMessages = 1,
            TransientRetryBudget = TimeSpan.FromSeconds(2),
            Breaker = new BreakerOptions { FirstTrialDelay = TimeSpan.FromMilliseconds(200), MaxTrialDelay = TimeSpan.FromSeconds(1), HoldLimit = TimeSpan.FromSeconds(3) },
        };
        var observer = new OutageObserver();
        var down = Writer([ClosedPort()], quick);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var sync = SyncInfo.Start("kafka-outage", TimeProvider.System);
        var some = SomeTable();
        var insert = WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(some, 50, new TestDataOptions(1)), sync));

        await using (var fleet = await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [down], options, observer, NullLoggerFactory.Instance, CancellationToken.None))
        {
            await publisher.PublishAsync(_destination, insert);
            await Eventually.WaitFor(() => Task.FromResult(observer.HandBacks >= 1 && observer.BreakerOpened >= 1), TimeSpan.FromSeconds(60),
                () => $"{observer.HandBacks} hand-backs, breaker opened {observer.BreakerOpened}, dead letters: {string.Join("; ", observer.DeadLetters)}");
            Assert.Equal(0, observer.Applied);
            Assert.Empty(observer.DeadLetters);
            Assert.Equal(0u, await QueueDepth($"workers.{_destination}_error"));
        }

        await down.Destination.DisposeAsync();

        // The same queue, now served by a worker whose cluster answers: the batch was waiting there, not lost.
        var up = Writer(_cluster.Brokers, KafkaTimeouts.Default);
        await using (var fleet = await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [up], options, observer, NullLoggerFactory.Instance, CancellationToken.None))
        {
            await Eventually.WaitFor(() => Task.FromResult(observer.Applied >= 1), TimeSpan.FromSeconds(60), () => $"{observer.Applied} applied");
        }

        await using var reader = ReadBack();
        var ours = (await reader.ReadMessagesAsync(TestSource.SomeTable, CancellationToken.None))
            .Where(m => KafkaHeaders.Get(m.Message.Headers, WireHeaders.SyncId) == sync.SyncId.ToString()).ToList();
        var rows = await reader.Clients.Spec.Encoder.DecodeAsync(TableSchema.FromArrow(SyncColumns.AddTo(some)), Assert.Single(ours).Message.Value, CancellationToken.None);
        Assert.Equal(50, rows.Count);
        Assert.Empty(observer.DeadLetters);
        Assert.Equal(0u, await QueueDepth($"workers.{_destination}_error"));
        await up.Destination.DisposeAsync();
    }

    DestinationWriter Writer(IEnumerable<string> brokers, KafkaTimeouts timeouts)
    {
        var spec = new DestinationSpec(_destination, "kafka", WriteMode.Append, MigrateMode.Safe, PkMode.Default, Yaml(brokers), "test");
        return new DestinationWriter(spec, new KafkaDestinationFactory().Create(spec, timeouts));
    }

    KafkaDestination ReadBack() =>
        (KafkaDestination)new KafkaDestinationFactory().Create(new DestinationSpec(_destination, "kafka", WriteMode.Append, MigrateMode.Safe, PkMode.Default, Yaml(_cluster.Brokers), "test"));

    static YamlMappingNode Yaml(IEnumerable<string> brokers) => new()
    {
        { "brokers", new YamlSequenceNode(brokers.Select(b => new YamlScalarNode(b))) },
        { "format", "json" },
        { "batch_size", MessageRows.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    static Apache.Arrow.Schema SomeTable() =>
        new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);

    string Config()
    {
        var file = Path.Combine(_directory, "kafka.yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: {_source}
              path: test
              tables: ["{TestSource.SomeTable}"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: {Rows}, batch_size: {SourceBatch}, seed: 4 {"}"}
            ---
            kind: destination
            spec:
              name: {_destination}
              path: kafka
              write_mode: append
              spec:
                brokers: [{string.Join(", ", _cluster.Brokers.Select(b => JsonSerializer.Serialize(b)))}]
                format: json
                batch_size: {MessageRows}
            """);
        return file;
    }

    /// <summary>What the topic holds against what the workers said they wrote, batch by batch: the failure's story.</summary>
    static string TopicReport(List<Confluent.Kafka.ConsumeResult<string, byte[]>> messages, List<WorkersProcess> workers)
    {
        var onTopic = messages.GroupBy(m => KafkaHeaders.Get(m.Message.Headers, WireHeaders.BatchId) ?? "?")
            .ToDictionary(g => g.Key, g => g.Select(m => m.Message.Key).Distinct().Count());
        var logged = workers.SelectMany(w => System.Text.RegularExpressions.Regex.Matches(w.Output, @"wrote \d+ rows \[batch ([0-9a-f-]+)\]").Select(m => m.Groups[1].Value)).ToList();
        var missing = logged.Distinct().Where(b => !onTopic.ContainsKey(b)).ToList();
        var partial = onTopic.Where(b => b.Value != SourceBatch / MessageRows).Select(b => $"{b.Key} ({b.Value} keys)").ToList();
        var unlogged = onTopic.Keys.Where(b => !logged.Contains(b)).ToList();
        return $"{messages.Count} messages, {messages.Select(m => m.Message.Key).Distinct().Count()} distinct keys, {onTopic.Count} batches on the topic; " +
            $"{logged.Count} writes logged ({logged.Distinct().Count()} batches); logged but not on the topic: [{string.Join(", ", missing)}]; " +
            $"on the topic with an unexpected key count: [{string.Join(", ", partial)}]; on the topic, never logged: [{string.Join(", ", unlogged)}]";
    }

    /// <summary>
    /// Where a batch no worker wrote could still be: the destination's queues, ready and unacknowledged (a delivery
    /// a live worker holds and never settles shows only here), with their consumers.
    /// </summary>
    async Task<string> QueueReport()
    {
        try
        {
            var table = await InfraServices.RabbitMqCtlAsync("list_queues", "name", "messages_ready", "messages_unacknowledged", "consumers");
            return "queues (name, ready, unacked, consumers):\n" + string.Join('\n', table.Split('\n').Where(line => line.Contains(_destination, StringComparison.Ordinal)));
        }
        catch (InvalidOperationException ex)
        {
            return "queues: not listed: " + ex.Message;
        }
    }

    static int CountOf(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    static string ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port}";
    }

    static async Task<uint> QueueDepth(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMqUrl) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return 0;   // never declared (an error queue appears with its first dead letter)
        }
    }

    sealed class OutageObserver : IDeliveryObserver
    {
        int _applied;
        int _handBacks;
        int _opened;

        public int Applied => Volatile.Read(ref _applied);

        public int HandBacks => Volatile.Read(ref _handBacks);

        public int BreakerOpened => Volatile.Read(ref _opened);

        public System.Collections.Concurrent.ConcurrentQueue<string> DeadLetters { get; } = new();

        void IDeliveryObserver.Applied(string destination, WireMessage message, ApplyResult result) => Interlocked.Increment(ref _applied);

        public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
        {
        }

        public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) => DeadLetters.Enqueue(reason);

        public void HandedBack(string destination, WireMessage message) => Interlocked.Increment(ref _handBacks);

        public void BreakerChanged(string destination, bool open)
        {
            if (open)
            {
                Interlocked.Increment(ref _opened);
            }
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _cluster.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
