using Grpc.Core;
using Grpc.Net.Client;
using Workers.CloudQuery.Protocol.Discovery;
using Workers.CloudQuery.Protocol.V3;

namespace Workers.CloudQuery.Plugins;

/// <summary>
/// A gRPC channel to a CloudQuery plugin, dialed as the CLI dials: HTTP/2 cleartext, 200 MiB messages both ways,
/// and a check that the plugin speaks protocol version 3.
/// </summary>
internal sealed class PluginConnection : IAsyncDisposable
{
    readonly GrpcChannel _channel;

    PluginConnection(GrpcChannel channel, string address)
    {
        _channel = channel;
        Address = address;
        Client = new Plugin.PluginClient(channel);
    }

    public string Address { get; }

    public Plugin.PluginClient Client { get; }

    /// <exception cref="PluginException">The plugin does not answer, or does not speak version 3.</exception>
    public static async Task<PluginConnection> ConnectAsync(string address, string plugin, CancellationToken cancellationToken)
    {
        var channel = GrpcChannel.ForAddress("http://" + address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = ProtocolLimits.MaxMessageBytes,
            MaxSendMessageSize = ProtocolLimits.MaxMessageBytes,
            HttpHandler = new SocketsHttpHandler
            {
                // A plugin process that froze stops answering pings: the stream fails instead of waiting forever.
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                ConnectTimeout = TimeSpan.FromSeconds(30),
            },
        });
        try
        {
            GetVersions.Types.Response versions;
            try
            {
                versions = await new Discovery.DiscoveryClient(channel).GetVersionsAsync(new GetVersions.Types.Request(), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
            {
                throw new PluginException($"{plugin} at {address} does not answer CloudQuery's discovery call: {ex.Status.Detail}", ex);
            }

            if (!versions.Versions.Contains(3))
            {
                throw new PluginException($"{plugin} at {address} speaks CloudQuery plugin protocol version(s) [{string.Join(", ", versions.Versions)}]; workers needs version 3");
            }

            return new PluginConnection(channel, address);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
