using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Workers.CloudQuery.Plugins;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// Hosts the destination endpoint on Kestrel: HTTP/2 cleartext (the CLI dials a <c>registry: grpc</c> plugin
/// without TLS) and CloudQuery's 200 MiB message limit both ways.
/// </summary>
internal static class ServeHost
{
    /// <exception cref="ConfigException">The address is not HOST:PORT.</exception>
    public static IPEndPoint ParseAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon > 0 && int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
        {
            var host = address[..colon].Trim('[', ']');
            if (host == "localhost")
            {
                return new IPEndPoint(IPAddress.Loopback, port);
            }

            if (IPAddress.TryParse(host, out var ip))
            {
                return new IPEndPoint(ip, port);
            }
        }

        throw new ConfigException($"--address: must be IP:PORT (e.g. 127.0.0.1:7777 or 0.0.0.0:7777), got '{address}'");
    }

    public static async Task RunAsync(
        WorkersConfig config, IPEndPoint address, IFleetConnection fleet, Func<DestinationSpec, IDestination> createDestination,
        ILoggerFactory loggers, Action<string> started, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(new ServeContext(config, fleet, createDestination, loggers, TimeProvider.System));
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = ProtocolLimits.MaxMessageBytes;
            options.MaxSendMessageSize = ProtocolLimits.MaxMessageBytes;
            options.EnableDetailedErrors = false;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.AddServerHeader = false;
        });

        await using var app = builder.Build();
        app.MapGrpcService<DiscoveryEndpoint>();
        app.MapGrpcService<DestinationEndpoint>();
        await app.StartAsync(cancellationToken);
        started($"serving CloudQuery plugin protocol v3 on {address} for {string.Join(", ", config.Destinations.Select(d => $"\"{d.Name}\" ({d.Path})"))}; {fleet.Describe}");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None);
    }
}
