using Apache.Arrow;
using Confluent.Kafka;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Kafka;

/// <summary>
/// One insert batch as Kafka messages on the table's topic, each a whole file in the chosen format (header, rows,
/// footer) as CloudQuery's: one message per record batch, cut into consecutive messages of at most
/// <c>batch_size</c> rows. Returns only once Kafka has acknowledged every message (idempotent producer,
/// <c>acks=all</c>), so that the batch is acked from RabbitMQ only then. A redelivered batch produces the same
/// keys and headers again: the consumer's way to drop the copy.
/// </summary>
static class KafkaWriter
{
    public static async Task<WriteResult> WriteAsync(KafkaProducer producer, KafkaSpec spec, TableSchema table, InsertMessage insert, CancellationToken cancellationToken)
    {
        var topic = KafkaTopicNames.For(insert.Table);
        var contentType = KafkaHeaders.ContentTypeOf(spec.Encoder.Format);
        var gzip = spec.Encoder.Compression == Files.FileCompression.Gzip;
        var sent = new List<(long Offset, int Rows, int Bytes, Task<DeliveryResult<string, byte[]>> Delivery)>();
        var client = producer.Current;
        try
        {
            await ProduceAllAsync(client, spec, table, insert, topic, contentType, gzip, sent, cancellationToken);
        }
        catch
        {
            // Encoding failed or was cancelled part-way: what was already handed to librdkafka still reports, unobserved.
            sent.ForEach(s => s.Delivery.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default));
            throw;
        }

        try
        {
            await Task.WhenAll(sent.Select(s => s.Delivery));
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failure(producer, client, topic, insert, sent);
        }

        var unpersisted = sent.FirstOrDefault(s => s.Delivery.Result.Status != PersistenceStatus.Persisted);
        if (unpersisted.Delivery is not null)
        {
            throw new KafkaDeliveryException(
                $"topic \"{topic}\": batch {insert.BatchId}: the message of rows {unpersisted.Offset}..{unpersisted.Offset + unpersisted.Rows - 1} was not acknowledged ({unpersisted.Delivery.Result.Status})",
                ErrorCode.Local_MsgTimedOut);
        }

        return new WriteResult(insert.Rows, Duplicate: false);
    }

    /// <summary>Encodes and hands every message of the batch to the producer; their deliveries go into <paramref name="sent"/>.</summary>
    static async Task ProduceAllAsync(IProducer<string, byte[]> client, KafkaSpec spec, TableSchema table, InsertMessage insert, string topic, string contentType, bool gzip,
        List<(long Offset, int Rows, int Bytes, Task<DeliveryResult<string, byte[]>> Delivery)> sent, CancellationToken cancellationToken)
    {
        long offset = 0;
        foreach (var record in insert.Batches)
        {
            for (var start = 0; start < record.Length; start += spec.BatchSize)
            {
                var rows = Math.Min(spec.BatchSize, record.Length - start);
                // A slice shares the record's buffers, which the insert message owns and disposes.
                var part = start == 0 && rows == record.Length ? record : record.Slice(start, rows);
                var value = await spec.Encoder.EncodeAsync(table, part, cancellationToken);
                var message = new Message<string, byte[]>
                {
                    Key = KafkaHeaders.Key(insert.BatchId, offset + start),
                    Value = value,
                    Headers = KafkaHeaders.For(insert, offset + start, rows, contentType, gzip),
                };
                sent.Add((offset + start, rows, value.Length, Produce(client, topic, message, cancellationToken)));
            }

            offset += record.Length;
        }
    }

    static Task<DeliveryResult<string, byte[]>> Produce(IProducer<string, byte[]> client, string topic, Message<string, byte[]> message, CancellationToken cancellationToken)
    {
        try
        {
            return client.ProduceAsync(topic, message, cancellationToken);
        }
        catch (Exception ex) when (ex is ProduceException<string, byte[]> or KafkaException)
        {
            return Task.FromException<DeliveryResult<string, byte[]>>(ex);
        }
    }

    /// <summary>
    /// The error to report for a batch some of whose messages failed: the first that can never succeed if there is
    /// one (it makes the batch poison), else the first outage. A fatal producer error retires the producer.
    /// </summary>
    static KafkaDeliveryException Failure(KafkaProducer producer, IProducer<string, byte[]> client, string topic, InsertMessage insert,
        List<(long Offset, int Rows, int Bytes, Task<DeliveryResult<string, byte[]>> Delivery)> sent)
    {
        var failed = sent.Where(s => s.Delivery.IsFaulted).Select(s => (s.Offset, s.Rows, s.Bytes, Error: ErrorOf(s.Delivery.Exception!))).ToList();
        if (failed.Count == 0)
        {
            return new KafkaDeliveryException($"topic \"{topic}\": batch {insert.BatchId}: delivery was cancelled", ErrorCode.Local_TimedOut);
        }

        if (failed.Any(f => f.Error.IsFatal))
        {
            producer.Retire(client);
        }

        var permanent = failed.FindIndex(f => !f.Error.IsFatal && !KafkaErrors.IsTransient(f.Error.Code));
        var (offset, rows, bytes, error) = failed[Math.Max(permanent, 0)];
        var code = error.IsFatal ? ErrorCode.Local_Fatal : error.Code;
        return new KafkaDeliveryException(
            $"topic \"{topic}\": batch {insert.BatchId}: {failed.Count} of {sent.Count} messages not acknowledged; " +
            $"the message of rows {offset}..{offset + rows - 1} ({bytes} bytes): {error.Reason}{KafkaErrors.Advice(error.Code)}",
            code);
    }

    static Error ErrorOf(AggregateException exception) => exception.InnerException switch
    {
        ProduceException<string, byte[]> produce => produce.Error,
        KafkaException kafka => kafka.Error,
        var other => new Error(ErrorCode.Unknown, other?.Message ?? "unknown error"),
    };
}
