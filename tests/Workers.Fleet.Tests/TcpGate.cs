using System.Net;
using System.Net.Sockets;

namespace Workers.Fleet.Tests;

/// <summary>
/// A loopback port that forwards to a real service while open and refuses connections while closed: a service
/// outage, for one test, without stopping a service the other tests share.
/// </summary>
sealed class TcpGate : IAsyncDisposable
{
    readonly int _target;
    readonly List<TcpClient> _connections = [];
    TcpListener? _listener;
    CancellationTokenSource? _accepting;

    TcpGate(int port, int target)
    {
        Port = port;
        _target = target;
    }

    public int Port { get; }

    /// <summary>A closed gate in front of <paramref name="target"/>, on a port that was free a moment ago.</summary>
    public static TcpGate Closed(int target)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new TcpGate(port, target);
    }

    public void Open()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _accepting = new CancellationTokenSource();
        _ = AcceptAsync(_listener, _accepting.Token);
    }

    public void Close()
    {
        _accepting?.Cancel();
        _listener?.Stop();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            _connections.Clear();
        }
    }

    async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var upstream = new TcpClient();
            await upstream.ConnectAsync(IPAddress.Loopback, _target, cancellationToken);
            lock (_connections)
            {
                _connections.Add(client);
                _connections.Add(upstream);
            }

            _ = PumpAsync(client.GetStream(), upstream.GetStream(), cancellationToken);
            _ = PumpAsync(upstream.GetStream(), client.GetStream(), cancellationToken);
        }
    }

    static async Task PumpAsync(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            // The gate closed, or one side hung up.
        }
    }

    public ValueTask DisposeAsync()
    {
        Close();
        _accepting?.Dispose();
        return ValueTask.CompletedTask;
    }
}
