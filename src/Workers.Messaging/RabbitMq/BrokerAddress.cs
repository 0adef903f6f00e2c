using RabbitMQ.Client;

namespace Workers.Messaging.RabbitMq;

/// <summary><c>amqp[s]://user:pass@host:port/vhost</c>, split for MassTransit; the password never reaches a log.</summary>
public sealed record BrokerAddress(string Host, int Port, string VirtualHost, string Username, string Password, bool UseTls)
{
    public static BrokerAddress Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
        {
            throw new ArgumentException("WORKERS_BROKER_URL must look like amqp://user:pass@host:5672/vhost", nameof(url));
        }

        var user = uri.UserInfo.Split(':', 2);
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        return new BrokerAddress(
            uri.Host,
            uri.IsDefaultPort ? (uri.Scheme == "amqps" ? 5671 : 5672) : uri.Port,
            vhost.Length == 0 ? "/" : vhost,
            user.Length > 0 && user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : "guest",
            user.Length > 1 ? Uri.UnescapeDataString(user[1]) : "guest",
            uri.Scheme == "amqps");
    }

    /// <summary>A RabbitMQ.Client connection factory for this broker; <paramref name="clientName"/> shows in the management UI.</summary>
    internal RabbitMQ.Client.ConnectionFactory ConnectionFactory(string clientName) => new()
    {
        HostName = Host,
        Port = Port,
        VirtualHost = VirtualHost,
        UserName = Username,
        Password = Password,
        ClientProvidedName = clientName,
        Ssl = { Enabled = UseTls, ServerName = Host },
    };

    /// <summary>A connection to this broker, or <see cref="BrokerUnreachableException"/> naming it and why not.</summary>
    internal async Task<IConnection> ConnectAsync(string clientName, CancellationToken cancellationToken)
    {
        try
        {
            return await ConnectionFactory(clientName).CreateConnectionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.OperationInterruptedException
            or System.Net.Sockets.SocketException or IOException or TimeoutException)
        {
            throw BrokerUnreachableException.At(this, ex);
        }
    }

    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Username}:***@{Host}:{Port}/{VirtualHost.TrimStart('/')}";
}
