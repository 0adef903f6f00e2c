using Workers.Core.Config;
using Workers.Messaging.RabbitMq;

namespace Workers.Cli.Commands;

/// <summary>WORKERS_BROKER_URL, read once for every command that talks to RabbitMQ; a bad value is a config error.</summary>
static class BrokerSettings
{
    public const string Variable = "WORKERS_BROKER_URL";

    /// <summary>The broker, or null when the variable is unset (the sync then runs embedded).</summary>
    public static BrokerAddress? Optional() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } url ? Parse(url) : null;

    public static BrokerAddress Required(string command) =>
        Optional() ?? throw new ConfigException($"{Variable} is not set: `workers {command}` talks to RabbitMQ (amqp://user:pass@host:5672/vhost)");

    static BrokerAddress Parse(string url)
    {
        try
        {
            return BrokerAddress.Parse(url);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigException(ex.Message.Split(" (Parameter", 2)[0], ex);
        }
    }
}
