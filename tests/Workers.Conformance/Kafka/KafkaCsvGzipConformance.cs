namespace Workers.Conformance.Kafka;

public sealed class KafkaCsvGzipConformance : KafkaConformance
{
    protected override string Format => "csv";

    protected override string Compression => "gzip";
}
