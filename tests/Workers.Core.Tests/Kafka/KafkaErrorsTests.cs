using Confluent.Kafka;
using Workers.Destinations.Kafka;

namespace Workers.Core.Tests.Kafka;

public class KafkaErrorsTests
{
    [Theory]
    [InlineData(ErrorCode.Local_Transport)]
    [InlineData(ErrorCode.Local_AllBrokersDown)]
    [InlineData(ErrorCode.Local_MsgTimedOut)]
    [InlineData(ErrorCode.Local_TimedOut)]
    [InlineData(ErrorCode.RequestTimedOut)]
    [InlineData(ErrorCode.NotEnoughReplicas)]
    [InlineData(ErrorCode.NotLeaderForPartition)]
    [InlineData(ErrorCode.LeaderNotAvailable)]
    [InlineData(ErrorCode.Local_Authentication)]
    [InlineData(ErrorCode.TopicAuthorizationFailed)]
    public void IsTransient_ClusterSideErrors_AreOutages(ErrorCode code) =>
        Assert.True(KafkaErrors.IsTransient(new KafkaDeliveryException("x", code)));

    [Theory]
    [InlineData(ErrorCode.MsgSizeTooLarge)]
    [InlineData(ErrorCode.TopicException)]
    [InlineData(ErrorCode.RecordListTooLarge)]
    [InlineData(ErrorCode.InvalidReplicationFactor)]
    [InlineData(ErrorCode.PolicyViolation)]
    [InlineData(ErrorCode.InvalidMsg)]
    public void IsTransient_MessageSideErrors_ArePoison(ErrorCode code) =>
        Assert.False(KafkaErrors.IsTransient(new KafkaDeliveryException("x", code)));

    [Fact]
    public void IsTransient_AFatalProducerError_IsAnOutage() =>
        Assert.True(KafkaErrors.IsTransient(new KafkaException(new Error(ErrorCode.OutOfOrderSequenceNumber, "fatal", isFatal: true))));

    [Fact]
    public void IsTransient_AnythingElse_IsNot() =>
        Assert.False(KafkaErrors.IsTransient(new InvalidOperationException("a bug")));
}
