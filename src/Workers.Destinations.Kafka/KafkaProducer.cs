using Confluent.Kafka;

namespace Workers.Destinations.Kafka;

/// <summary>
/// The destination's one producer, shared by concurrent writes (librdkafka's producer is thread-safe). An
/// idempotent producer that hits a fatal error (its sequence state is lost) cannot be used again: it is retired
/// and the next write builds a fresh one, so that the batch's retry can succeed.
/// </summary>
sealed class KafkaProducer(KafkaClients clients) : IDisposable
{
    readonly Lock _lock = new();
    readonly List<IProducer<string, byte[]>> _retired = [];
    IProducer<string, byte[]>? _current;

    public IProducer<string, byte[]> Current
    {
        get
        {
            lock (_lock)
            {
                return _current ??= clients.Producer();
            }
        }
    }

    public void Retire(IProducer<string, byte[]> failed)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(_current, failed))
            {
                return;
            }

            _current = null;
            // Other writes may still be waiting on it: it is disposed with the destination, not now.
            _retired.Add(failed);
        }
    }

    public void Dispose()
    {
        IProducer<string, byte[]>? current;
        lock (_lock)
        {
            current = _current;
            _current = null;
            _retired.ForEach(p => p.Dispose());
            _retired.Clear();
        }

        if (current is not null)
        {
            // Every write waited for its own acknowledgements; anything left belongs to a cancelled write.
            current.Flush(clients.Timeouts.Admin);
            current.Dispose();
        }
    }
}
