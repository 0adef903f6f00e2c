using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Workers.Destinations.Kafka;

/// <summary>
/// The librdkafka settings every client of one destination shares (brokers, SASL, TLS, logging), and the
/// producer's delivery guarantees: idempotent, <c>acks=all</c>, bounded delivery time.
/// </summary>
/// <param name="logger">Null when the host gave none: librdkafka's log is then dropped, or with <c>verbose</c> left
/// to librdkafka's own handler, which writes it to standard error.</param>
sealed partial class KafkaClients(KafkaSpec spec, KafkaTimeouts timeouts, ILogger? logger)
{
    const string ClientId = "workers-kafka-destination";

    public KafkaSpec Spec => spec;

    public KafkaTimeouts Timeouts => timeouts;

    // librdkafka's default handler writes to standard error: kept only for verbose with no logger to route to.
    bool RoutesLog => logger is not null || !spec.Verbose;

    ILogger Logger => logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public IProducer<string, byte[]> Producer()
    {
        var builder = new ProducerBuilder<string, byte[]>(new ProducerConfig(Common())
        {
            EnableIdempotence = true,
            Acks = Acks.All,
            MaxInFlight = 5,
            MessageTimeoutMs = (int)timeouts.Delivery.TotalMilliseconds,
            RequestTimeoutMs = (int)Math.Min(timeouts.Delivery.TotalMilliseconds, 30_000),
            LingerMs = 5,
        }).SetErrorHandler((_, error) => LogClientError(Logger, error.Code, error.Reason));
        return (RoutesLog ? builder.SetLogHandler((_, message) => Log(message)) : builder).Build();
    }

    public IAdminClient Admin()
    {
        var builder = new AdminClientBuilder(new AdminClientConfig(Common())).SetErrorHandler((_, error) => LogClientError(Logger, error.Code, error.Reason));
        return (RoutesLog ? builder.SetLogHandler((_, message) => Log(message)) : builder).Build();
    }

    public IConsumer<string, byte[]> Consumer()
    {
        var builder = new ConsumerBuilder<string, byte[]>(new ConsumerConfig(Common())
        {
            GroupId = "workers-read-back-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
        }).SetErrorHandler((_, error) => LogClientError(Logger, error.Code, error.Reason));
        return (RoutesLog ? builder.SetLogHandler((_, message) => Log(message)) : builder).Build();
    }

    Dictionary<string, string> Common()
    {
        var config = new ClientConfig
        {
            BootstrapServers = string.Join(',', spec.Brokers.Select(b => b.Trim())),
            ClientId = ClientId,
            SocketTimeoutMs = (int)Math.Max(timeouts.Admin.TotalMilliseconds, 10_000),
        };
        var tls = spec.Tls is not null;
        config.SecurityProtocol = (spec.UsesSasl, tls) switch
        {
            (true, true) => SecurityProtocol.SaslSsl,
            (true, false) => SecurityProtocol.SaslPlaintext,
            (false, true) => SecurityProtocol.Ssl,
            _ => SecurityProtocol.Plaintext,
        };
        if (spec.UsesSasl)
        {
            config.SaslMechanism = SaslMechanism.Plain;
            config.SaslUsername = spec.SaslUsername;
            config.SaslPassword = spec.SaslPassword;
        }

        if (spec.Tls is { } details)
        {
            config.SslCaLocation = details.CaFilePath;
            config.SslCertificateLocation = details.CertFilePath;
            config.SslKeyLocation = details.KeyFilePath;
            config.EnableSslCertificateVerification = spec.EnforceTlsVerification;
            config.SslEndpointIdentificationAlgorithm = spec.EnforceTlsVerification ? SslEndpointIdentificationAlgorithm.Https : SslEndpointIdentificationAlgorithm.None;
        }

        if (spec.Verbose)
        {
            config.Debug = "broker,topic,msg";
        }

        return config.ToDictionary(pair => pair.Key, pair => pair.Value);
    }

    // librdkafka reports every failed reconnect; the write's own error says what matters, so its log is detail
    // unless the user asked for it (verbose, as CloudQuery routes sarama's log).
    void Log(LogMessage message)
    {
        if (spec.Verbose)
        {
            LogLibrary(Logger, LogLevel.Information, message.Facility, message.Name, message.Message);
        }
        else
        {
            LogLibrary(Logger, LogLevel.Debug, message.Facility, message.Name, message.Message);
        }
    }

    [LoggerMessage(Message = "librdkafka {Facility} {Client}: {Text}")]
    static partial void LogLibrary(ILogger logger, LogLevel level, string facility, string client, string text);

    [LoggerMessage(Level = LogLevel.Debug, Message = "librdkafka error {Code}: {Reason}")]
    static partial void LogClientError(ILogger logger, ErrorCode code, string reason);
}
