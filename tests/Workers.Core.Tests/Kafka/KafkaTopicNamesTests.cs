using Workers.Destinations.Kafka;

namespace Workers.Core.Tests.Kafka;

public class KafkaTopicNamesTests
{
    [Theory]
    [InlineData("aws_ec2_instances")]
    [InlineData("Table.With-Dots_and-dashes")]
    [InlineData("..x")]
    public void For_AValidTopicName_IsTheTableName(string table) => Assert.Equal(table, KafkaTopicNames.For(table));

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("表")]
    [InlineData("semi;colon'quote\"")]
    [InlineData("")]
    public void For_AnInvalidName_IsValidAndKeepsAHashOfTheOriginal(string table)
    {
        var topic = KafkaTopicNames.For(table);

        Assert.True(KafkaTopicNames.IsValid(topic), topic);
        Assert.Matches("-[0-9a-f]{12}$", topic);
    }

    [Fact]
    public void For_TwoNamesThatSanitiseAlike_GetDifferentTopics() =>
        Assert.NotEqual(KafkaTopicNames.For("a/b"), KafkaTopicNames.For("a\\b"));

    [Fact]
    public void For_ANameLongerThanKafkaAllows_IsCutToTheLimit()
    {
        var topic = KafkaTopicNames.For(new string('t', 400));

        Assert.Equal(KafkaTopicNames.MaxLength, topic.Length);
        Assert.NotEqual(KafkaTopicNames.For(new string('t', 401)), topic);
    }
}
