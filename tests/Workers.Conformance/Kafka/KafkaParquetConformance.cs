namespace Workers.Conformance.Kafka;

public sealed class KafkaParquetConformance : KafkaConformance
{
    protected override string Format => "parquet";
}
