using Microsoft.Extensions.Logging;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Destinations.Kafka;

/// <summary>The <c>kafka</c> destination: a topic per table on a Kafka cluster, as CloudQuery's Kafka plugin.</summary>
public sealed class KafkaDestinationFactory : DestinationFactory<KafkaSpec>
{
    readonly ILoggerFactory? _loggers;
    readonly KafkaTimeouts _timeouts;

    /// <param name="loggers">Where librdkafka's own log goes (at debug level, or information with <c>verbose</c>); without
    /// one it is dropped, or with <c>verbose</c> written to standard error by librdkafka itself.</param>
    public KafkaDestinationFactory(ILoggerFactory? loggers = null)
        : this(loggers, KafkaTimeouts.Default)
    {
    }

    internal KafkaDestinationFactory(ILoggerFactory? loggers, KafkaTimeouts timeouts)
    {
        _loggers = loggers;
        _timeouts = timeouts;
    }

    public override string Path => "kafka";

    public override DestinationCapabilities Capabilities => KafkaCapabilities.Value;

    /// <summary>The destination with other timeouts (tests make the broker-down cases quick).</summary>
    internal IDestination Create(DestinationSpec spec, KafkaTimeouts timeouts) => new KafkaDestinationFactory(_loggers, timeouts).Create(spec);

    protected override IEnumerable<string> Validate(KafkaSpec spec) => spec.Validate();

    protected override IDestination Create(KafkaSpec spec, DestinationContext context) =>
        new KafkaDestination(spec, _timeouts, _loggers?.CreateLogger("Workers.Destinations.Kafka"));
}
