namespace Workers.Conformance.Kafka;

public sealed class KafkaCsvConformance : KafkaConformance
{
    protected override string Format => "csv";
}
