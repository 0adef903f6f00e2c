using System.IO.Compression;
using System.Net;
using System.Net.Sockets;

namespace Workers.Fleet.Tests.Otlp;

/// <summary>
/// A small OTLP/HTTP trace receiver on loopback (POST /v1/traces, protobuf), keeping every span the processes
/// under test export; point them at it with <see cref="Environment"/>.
/// </summary>
sealed class OtlpReceiver : IAsyncDisposable
{
    readonly HttpListener _listener = new();
    readonly List<OtlpSpan> _spans = [];
    readonly List<string> _problems = [];
    readonly Task _loop;

    OtlpReceiver(int port)
    {
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Endpoint { get; }

    /// <summary>The standard variables that make a `workers` process export its traces here, promptly.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    };

    public IReadOnlyList<OtlpSpan> Spans
    {
        get
        {
            lock (_spans)
            {
                return [.. _spans];
            }
        }
    }

    /// <summary>What went wrong receiving (a wrong path or content type, an undecodable body), for failure messages.</summary>
    public string Problems
    {
        get
        {
            lock (_spans)
            {
                return string.Join("\n", _problems);
            }
        }
    }

    public static OtlpReceiver Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new OtlpReceiver(port);
    }

    async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            await HandleAsync(context);
        }
    }

    async Task HandleAsync(HttpListenerContext context)
    {
        using var response = context.Response;
        var request = context.Request;
        if (request.HttpMethod != "POST" || request.Url?.AbsolutePath != "/v1/traces" || request.ContentType?.StartsWith("application/x-protobuf", StringComparison.Ordinal) != true)
        {
            Problem($"unexpected {request.HttpMethod} {request.Url?.AbsolutePath} ({request.ContentType})");
            response.StatusCode = 404;
            return;
        }

        using var body = new MemoryStream();
        await using (var input = request.Headers["Content-Encoding"] == "gzip" ? new GZipStream(request.InputStream, CompressionMode.Decompress) : request.InputStream)
        {
            await input.CopyToAsync(body);
        }

        try
        {
            var spans = OtlpTraceDecoder.Decode(body.ToArray());
            lock (_spans)
            {
                _spans.AddRange(spans);
            }
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            Problem("undecodable export: " + ex.Message);
            response.StatusCode = 400;
            return;
        }

        // An empty ExportTraceServiceResponse: everything accepted.
        response.StatusCode = 200;
        response.ContentType = "application/x-protobuf";
        response.ContentLength64 = 0;
    }

    void Problem(string text)
    {
        lock (_spans)
        {
            _problems.Add(text);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
