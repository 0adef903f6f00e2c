namespace Workers.Conformance.Kafka;

public sealed class KafkaJsonConformance : KafkaConformance
{
    protected override string Format => "json";
}
