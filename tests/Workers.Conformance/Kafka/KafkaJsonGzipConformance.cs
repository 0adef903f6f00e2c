namespace Workers.Conformance.Kafka;

public sealed class KafkaJsonGzipConformance : KafkaConformance
{
    protected override string Format => "json";

    protected override string Compression => "gzip";
}
