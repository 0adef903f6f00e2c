using System.Net;
using System.Net.Sockets;

namespace Workers.Conformance.PostgreSql;

/// <summary>
/// A TCP relay between Npgsql and the PostgreSQL server that counts round trips: each time the client sends after
/// the server has answered (or for the first time on a connection), the client is waiting on one more exchange.
/// Bytes pass unchanged, so what is measured is the real protocol of the real driver against the real server.
/// </summary>
sealed class RoundTripProxy : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly string _host;
    readonly int _port;
    readonly CancellationTokenSource _stop = new();
    readonly List<Task> _relays = [];
    readonly List<TcpClient> _clients = [];
    Task? _accepting;
    int _roundTrips;

    public RoundTripProxy(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int RoundTrips => Volatile.Read(ref _roundTrips);

    public void Reset() => Interlocked.Exchange(ref _roundTrips, 0);

    async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var server = new TcpClient();
            await server.ConnectAsync(_host, _port, _stop.Token);
            client.NoDelay = server.NoDelay = true;
            var exchange = new Exchange();
            lock (_relays)
            {
                _clients.Add(client);
                _clients.Add(server);
                _relays.Add(PumpAsync(client.GetStream(), server.GetStream(), () => exchange.ClientSent(this)));
                _relays.Add(PumpAsync(server.GetStream(), client.GetStream(), exchange.ServerSent));
            }
        }
    }

    async Task PumpAsync(NetworkStream from, NetworkStream to, Action sent)
    {
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                // Counted before the bytes are relayed, so the answer cannot overtake the count.
                sent();
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // A closed side ends the relay.
        }
        finally
        {
            try
            {
                to.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                // Already closed by the other direction or by DisposeAsync.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_relays)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        await Task.WhenAll([.. _relays, _accepting ?? Task.CompletedTask]);
        _stop.Dispose();
    }

    /// <summary>Whose turn it is on one connection.</summary>
    sealed class Exchange
    {
        readonly Lock _lock = new();
        bool _serverAnswered = true;

        public void ClientSent(RoundTripProxy proxy)
        {
            lock (_lock)
            {
                if (_serverAnswered)
                {
                    _serverAnswered = false;
                    Interlocked.Increment(ref proxy._roundTrips);
                }
            }
        }

        public void ServerSent()
        {
            lock (_lock)
            {
                _serverAnswered = true;
            }
        }
    }
}
