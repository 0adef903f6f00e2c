using Microsoft.Extensions.Logging;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Destinations.Kafka;

/// <summary>The <c>kafka</c> destination: a topic per table on a Kafka cluster, as CloudQuery's Kafka plugin.</summary>
/// <param name="loggers">Where librdkafka's own log goes (at debug level, or information with <c>verbose</c>); without
/// one it is dropped, or with <c>verbose</c> written to standard error by librdkafka itself.</param>
public sealed class KafkaDestinationFactory(ILoggerFactory? loggers = null) : IDestinationFactory
{
    public string Path => "kafka";

    public IDestination Create(DestinationSpec spec) => Create(spec, KafkaTimeouts.Default);

    internal IDestination Create(DestinationSpec spec, KafkaTimeouts timeouts)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!KafkaCapabilities.WriteModes.Contains(spec.WriteMode))
        {
            throw new ConfigException(
                $"{spec.Location}: spec.write_mode: kafka supports only append (a topic is a log, rows are never replaced), got {SpecBinder.Kebab(spec.WriteMode.ToString())}");
        }

        var options = SpecBinder.BindValid<KafkaSpec>(spec.Spec, spec.Location, o => o.Validate());
        var logger = loggers?.CreateLogger("Workers.Destinations.Kafka");
        return new KafkaDestination(options, timeouts, logger);
    }
}
