using Workers.Destinations.Files.Formats;
using Workers.Destinations.Files;

namespace Workers.Destinations.Kafka;

/// <summary>The <c>kafka</c> destination's <c>spec</c>, field names and defaults as CloudQuery's Kafka plugin.</summary>
public sealed class KafkaSpec
{
    /// <summary>Bootstrap brokers, <c>host:port</c> each.</summary>
    public List<string> Brokers { get; set; } = [];

    /// <summary>Routes librdkafka's own log (with its broker, topic and message debug contexts) into the worker's log.</summary>
    public bool Verbose { get; set; }

    /// <summary>With <see cref="SaslPassword"/>: SASL/PLAIN authentication.</summary>
    public string SaslUsername { get; set; } = "";

    public string SaslPassword { get; set; } = "";

    /// <summary>Verify the brokers' certificates and host names when TLS is on (<c>tls_details</c>).</summary>
    public bool EnforceTlsVerification { get; set; }

    /// <summary><c>cert_file_path</c>, <c>key_file_path</c>, <c>ca_file_path</c>: TLS, with a client certificate.</summary>
    public KafkaTlsDetails? TlsDetails { get; set; }

    /// <summary><c>num_partitions</c>, <c>replication_factor</c>: for the topics this destination creates.</summary>
    public KafkaTopicDetails? TopicDetails { get; set; }

    /// <summary>csv, json or parquet: the layout of each message's value.</summary>
    public string Format { get; set; } = "";

    public FileFormatSpec? FormatSpec { get; set; }

    /// <summary>Empty or gzip, around each whole message value.</summary>
    public string Compression { get; set; } = "";

    /// <summary>At most this many rows in one Kafka message: a larger record batch is cut into consecutive messages.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>Set by validation.</summary>
    internal RecordEncoder Encoder { get; private set; } = null!;

    internal KafkaTlsDetails? Tls { get; private set; }

    internal KafkaTopicDetails Topics { get; private set; } = new();

    internal bool UsesSasl => SaslUsername.Length > 0;

    /// <summary>Checks every field; each complaint names it. Fills the parsed values when there is none.</summary>
    public IEnumerable<string> Validate()
    {
        var errors = new List<string>();
        if (Brokers.Count == 0)
        {
            errors.Add("brokers: required, at least one host:port");
        }

        for (var i = 0; i < Brokers.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Brokers[i]))
            {
                errors.Add($"brokers[{i}]: must not be empty");
            }
            else if (Brokers[i].Contains(',', StringComparison.Ordinal))
            {
                errors.Add($"brokers[{i}]: one host:port per item, got '{Brokers[i]}'");
            }
        }

        if (SaslUsername.Length > 0 != SaslPassword.Length > 0)
        {
            errors.Add(SaslUsername.Length > 0 ? "sasl_password: required with sasl_username" : "sasl_username: required with sasl_password");
        }

        errors.AddRange(ValidateTls());
        errors.AddRange(ValidateTopicDetails());

        if (BatchSize < 1)
        {
            errors.Add($"batch_size: must be a positive integer, got {BatchSize}");
        }

        var encoder = RecordEncoder.Create(Format, FormatSpec, Compression, out var formatErrors);
        errors.AddRange(formatErrors);
        if (errors.Count == 0)
        {
            Encoder = encoder!;
        }

        return errors;
    }

    IEnumerable<string> ValidateTls()
    {
        if (TlsDetails is null)
        {
            yield break;
        }

        var tls = TlsDetails;
        var given = new[] { ("cert_file_path", tls.CertFilePath), ("key_file_path", tls.KeyFilePath), ("ca_file_path", tls.CaFilePath) };
        if (given.All(g => g.Item2.Length == 0))
        {
            yield break;
        }

        // CloudQuery turns TLS on only when all three are set and ignores a partial block; we refuse it instead.
        foreach (var (name, path) in given)
        {
            if (path.Length == 0)
            {
                yield return $"tls_details.{name}: required (TLS takes cert_file_path, key_file_path and ca_file_path together)";
            }
            else if (!File.Exists(path))
            {
                yield return $"tls_details.{name}: file not found: {path}";
            }
        }

        Tls = tls;
    }

    IEnumerable<string> ValidateTopicDetails()
    {
        if (TopicDetails is null)
        {
            yield break;
        }

        var details = TopicDetails;
        if (details.NumPartitions < 1)
        {
            yield return $"topic_details.num_partitions: must be a positive integer, got {details.NumPartitions}";
        }

        if (details.ReplicationFactor < 1)
        {
            yield return $"topic_details.replication_factor: must be a positive integer, got {details.ReplicationFactor}";
        }

        Topics = details;
    }
}
