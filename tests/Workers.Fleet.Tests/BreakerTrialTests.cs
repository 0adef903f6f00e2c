using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.PostgreSql;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;
using Workers.Messaging.Resilience;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// Slow is not down, and the breaker judges by the real write: on real RabbitMQ and PostgreSQL, a write slower
/// than the retry budget, a write the server refuses for a full disk while its connection check still answers,
/// and a password the server refuses. Each schema is the test's own.
/// </summary>
public sealed class BreakerTrialTests : IAsyncLifetime
{
    readonly string _destination = "trial" + Guid.NewGuid().ToString("N")[..8];
    readonly string _schema = "cq_trial_" + Guid.NewGuid().ToString("N")[..8];
    readonly string _role = "trial_" + Guid.NewGuid().ToString("N")[..8];
    readonly BreakerObserver _observer = new();
    readonly SyncInfo _sync = SyncInfo.Start("trial", TimeProvider.System);
    readonly Apache.Arrow.Schema _some = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);

    public async Task InitializeAsync() => await Eventually.Execute($"CREATE SCHEMA \"{_schema}\"");

    [Fact]
    public async Task SlowHealthyWrite_LongerThanTheRetryBudget_AppliesOnce_AndNeverTripsTheBreaker()
    {
        // The worker's clock is the test's: the write is made slower than the budget by moving it, not by sleeping.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var fleet = await StartAsync(Schema(TestServices.PostgresConnectionString), retryBudget: TimeSpan.FromSeconds(1), clock);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        await publisher.PublishAsync(_destination, WireCodec.EncodeMigrateTable(_sync, SyncColumns.AddTo(_some)));
        await _observer.WaitFor(o => o.Applied == 1);

        // Another session holds the table: the write waits for it, as it would behind a busy database.
        await using var blocker = new NpgsqlConnection(Schema(TestServices.PostgresConnectionString));
        await blocker.OpenAsync();
        await using (var transaction = await blocker.BeginTransactionAsync())
        {
            await using (var command = new NpgsqlCommand($"LOCK TABLE \"{_schema}\".{TestSource.SomeTable} IN ACCESS EXCLUSIVE MODE", blocker, transaction))
            {
                await command.ExecuteNonQueryAsync();
            }

            await publisher.PublishAsync(_destination, Insert(rows: 50));
            await WaitUntilBlockedAsync();
            clock.Advance(TimeSpan.FromSeconds(2.5));   // the slowness under test: longer than the 1 s budget
            await transaction.CommitAsync();
        }

        await _observer.WaitFor(o => o.Applied == 2);
        Assert.Equal(50, await Count(TestSource.SomeTable));
        Assert.Equal(0, _observer.Opened);
        Assert.Equal(0, _observer.Retries);
        Assert.Empty(_observer.DeadLetters);
    }

    [Theory]
    [InlineData("53100", "could not extend file: No space left on device")]
    [InlineData("58030", "could not write to file: I/O error")]
    public async Task WriteRefusedForAResourceTheConnectionCheckCannotSee_BreakerStaysOpen_UntilTheRealWriteSucceeds(string sqlState, string text)
    {
        await using var fleet = await StartAsync(Schema(TestServices.PostgresConnectionString), retryBudget: TimeSpan.FromMilliseconds(300));
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        await publisher.PublishAsync(_destination, WireCodec.EncodeMigrateTable(_sync, SyncColumns.AddTo(_some)));
        await _observer.WaitFor(o => o.Applied == 1);

        // The server refuses every row of this table, while `SELECT current_schema()` still answers.
        await Eventually.Execute($"""
            CREATE FUNCTION "{_schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{text}' USING ERRCODE = '{sqlState}'; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON "{_schema}".{TestSource.SomeTable} FOR EACH ROW EXECUTE FUNCTION "{_schema}".refuse();
            """);
        await publisher.PublishAsync(_destination, Insert(rows: 50));
        await _observer.WaitFor(o => o.Opened == 1);
        await _observer.WaitFor(_ => fleet.OutageOf(_destination) is { } outage && outage.Contains("3 trial(s)", StringComparison.Ordinal));

        Assert.Contains(sqlState, fleet.OutageOf(_destination), StringComparison.Ordinal);
        Assert.Equal(0, _observer.Closed);
        Assert.Empty(_observer.DeadLetters);
        Assert.Equal(1, _observer.Applied);

        await Eventually.Execute($"DROP TRIGGER refuse ON \"{_schema}\".{TestSource.SomeTable}");
        await _observer.WaitFor(o => o.Applied == 2);
        Assert.Equal(1, _observer.Closed);
        Assert.Null(fleet.OutageOf(_destination));
        Assert.Equal(50, await Count(TestSource.SomeTable));
        Assert.Empty(_observer.DeadLetters);
    }

    [Fact]
    public async Task WrongPassword_HoldsTheMessages_WhileTheOutageNamesTheCause_TheyLandOnceThePasswordIsRight()
    {
        await Eventually.Execute($"CREATE ROLE {_role} LOGIN PASSWORD 'right-one'; ALTER SCHEMA \"{_schema}\" OWNER TO {_role}");
        var worker = new NpgsqlConnectionStringBuilder(Schema(TestServices.PostgresConnectionString)) { Username = _role, Password = "rotated-one" };
        await using var fleet = await StartAsync(worker.ConnectionString, retryBudget: TimeSpan.FromMilliseconds(300));
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        await publisher.PublishAsync(_destination, WireCodec.EncodeMigrateTable(_sync, SyncColumns.AddTo(_some)));
        await publisher.PublishAsync(_destination, Insert(rows: 40));
        await _observer.WaitFor(o => o.Opened == 1);

        Assert.Contains("password authentication failed", fleet.OutageOf(_destination), StringComparison.Ordinal);
        Assert.DoesNotContain("rotated-one", fleet.OutageOf(_destination), StringComparison.Ordinal);
        Assert.Empty(_observer.DeadLetters);
        Assert.Equal(0, _observer.Applied);

        // The operator sets the password the workers were given: the next trial gets in, and everything lands once.
        await Eventually.Execute($"ALTER ROLE {_role} PASSWORD 'rotated-one'");
        await _observer.WaitFor(o => o.Applied == 2);
        Assert.Equal(40, await Count(TestSource.SomeTable));
        Assert.Empty(_observer.DeadLetters);
        Assert.Null(fleet.OutageOf(_destination));
    }

    async Task<Fleet> StartAsync(string connectionString, TimeSpan retryBudget, TimeProvider? clock = null)
    {
        var yaml = new YamlMappingNode { { "connection_string", connectionString } };
        var spec = new DestinationSpec(_destination, "postgresql", WriteMode.Overwrite, MigrateMode.Safe, PkMode.Default, yaml, "test");
        var writer = new DestinationWriter(spec, new PostgreSqlDestinationFactory().Create(spec));
        var options = new WorkerOptions
        {
            ConcurrentMessages = 2,
            TransientRetryBudget = retryBudget,
            Breaker = new BreakerOptions { FirstTrialDelay = TimeSpan.FromMilliseconds(200), MaxTrialDelay = TimeSpan.FromMilliseconds(400) },
            Clock = clock ?? TimeProvider.System,
        };
        var fleet = await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [writer], options, _observer, NullLoggerFactory.Instance, CancellationToken.None);
        return new Fleet(fleet, writer);
    }

    // The insert is queued behind the other session's lock once pg_locks shows a session of this schema waiting.
    Task WaitUntilBlockedAsync() => Eventually.WaitFor(
        async () => await Eventually.Scalar(TestServices.PostgresConnectionString,
            $"SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = '\"{_schema}\".{TestSource.SomeTable}'::regclass") > 0,
        TimeSpan.FromSeconds(60), () => "the insert never waited for the lock");

    WireMessage Insert(int rows) => WireCodec.EncodeInsert(_sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(_some, rows, new TestDataOptions(3)), _sync));

    string Schema(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = _schema }.ConnectionString;

    Task<long> Count(string table) => Eventually.Scalar(TestServices.PostgresConnectionString, $"SELECT count(*) FROM \"{_schema}\".\"{table}\"");

    public async Task DisposeAsync()
    {
        await Broker.DeleteAsync($"workers.{_destination}", $"workers.{_destination}_error");
        await Eventually.Execute($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
        await Eventually.Execute($"DROP ROLE IF EXISTS {_role}");
    }

    /// <summary>The in-process worker and its destination, stopped together.</summary>
    sealed class Fleet(RabbitMqFleet fleet, DestinationWriter writer) : IAsyncDisposable
    {
        public string? OutageOf(string destination) => fleet.OutageOf(destination);

        public async ValueTask DisposeAsync()
        {
            await fleet.DisposeAsync();
            await writer.Destination.DisposeAsync();
        }
    }

    sealed class BreakerObserver : IDeliveryObserver
    {
        int _applied;
        int _opened;
        int _closed;
        int _retries;

        public int Applied => Volatile.Read(ref _applied);

        public int Opened => Volatile.Read(ref _opened);

        public int Closed => Volatile.Read(ref _closed);

        public int Retries => Volatile.Read(ref _retries);

        public ConcurrentQueue<string> DeadLetters { get; } = new();

        void IDeliveryObserver.Applied(string destination, WireMessage message, ApplyResult result) => Interlocked.Increment(ref _applied);

        public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
        {
        }

        public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) => DeadLetters.Enqueue(reason);

        public void Retrying(string destination, int attempt, TimeSpan delay, Exception? exception) => Interlocked.Increment(ref _retries);

        public void BreakerChanged(string destination, bool open) => Interlocked.Increment(ref open ? ref _opened : ref _closed);

        public async Task WaitFor(Func<BreakerObserver, bool> condition)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!condition(this))
            {
                Assert.True(DateTime.UtcNow < deadline,
                    $"gave up waiting: {Applied} applied, breaker opened {Opened} closed {Closed}, {Retries} retries, dead letters: {string.Join("; ", DeadLetters)}");
                await Task.Delay(20);
            }
        }
    }
}
