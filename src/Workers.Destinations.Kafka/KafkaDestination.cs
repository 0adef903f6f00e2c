using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Kafka;

/// <summary>
/// A Kafka cluster as a destination, append-only as CloudQuery's: a topic per table, each insert batch as
/// messages whose key and headers name the batch (see <see cref="KafkaCapabilities"/>). Each step lives in its
/// own file; this one wires them.
/// </summary>
sealed class KafkaDestination : IDestination
{
    readonly KafkaClients _clients;
    readonly IAdminClient _admin;
    readonly KafkaProducer _producer;
    readonly KafkaTopics _topics;

    public KafkaDestination(KafkaSpec spec, KafkaTimeouts timeouts, ILogger? logger)
    {
        _clients = new KafkaClients(spec, timeouts, logger);
        _admin = _clients.Admin();
        _producer = new KafkaProducer(_clients);
        _topics = new KafkaTopics(_clients, _admin);
    }

    internal KafkaClients Clients => _clients;

    /// <summary>Creates the table's topic when it does not exist; an existing topic is never altered.</summary>
    public Task<MigrationResult> MigrateAsync(TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        return _topics.EnsureAsync(table.Name, cancellationToken);
    }

    public Task<WriteResult> WriteAsync(TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(insert);
        return KafkaWriter.WriteAsync(_producer, _clients.Spec, table, insert, cancellationToken);
    }

    /// <summary>Append-only, as CloudQuery's (which ignores DeleteStale): a topic's messages are never removed.</summary>
    public Task<DeleteStaleResult> DeleteStaleAsync(DeleteStaleMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Task.FromResult(DeleteStaleResult.Done(0, message.Batches, message.Batches));
    }

    public Task<IReadOnlyList<object?[]>> ReadAsync(TableSchema table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        return KafkaReader.ReadRowsAsync(_clients, _admin, table, cancellationToken);
    }

    /// <summary>Every message of the table's topic, key and headers included (tests and tools).</summary>
    internal Task<List<ConsumeResult<string, byte[]>>> ReadMessagesAsync(string table, CancellationToken cancellationToken) =>
        KafkaReader.ReadMessagesAsync(_clients, _admin, KafkaTopicNames.For(table), cancellationToken);

    public Task TestConnectionAsync(CancellationToken cancellationToken) => KafkaConnectionTester.TestAsync(_clients, _admin, cancellationToken);

    public bool IsTransient(Exception exception) => KafkaErrors.IsTransient(exception);

    public ValueTask DisposeAsync()
    {
        _producer.Dispose();
        _admin.Dispose();
        return ValueTask.CompletedTask;
    }
}
