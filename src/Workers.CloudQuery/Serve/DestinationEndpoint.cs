using System.Reflection;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Workers.CloudQuery.Plugins;
using Workers.CloudQuery.Protocol.V3;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// `workers serve` as a CloudQuery destination plugin (protocol v3). Errors follow CloudQuery's Go SDK server:
/// a message that cannot be decoded is <c>InvalidArgument</c>, a write the workers could not apply <c>Internal</c>
/// with "write failed: …"; a spec or a mode we refuse is <c>InvalidArgument</c> or <c>FailedPrecondition</c>.
/// </summary>
internal sealed partial class DestinationEndpoint(ServeContext serve) : Plugin.PluginBase
{
    public const string Name = "workers";

    /// <summary>Rows per Read record: a big table travels as many messages, each well under the 200 MiB limit.</summary>
    public const int RowsPerRecord = 10_000;

    /// <summary>A record's bytes, leaving room under the message limit for the response's own framing.</summary>
    const int MaxRecordBytes = ProtocolLimits.MaxMessageBytes - 1024;

    readonly ILogger _logger = serve.Loggers.CreateLogger("Workers.CloudQuery.Serve");

    public static string Version => "v" + (typeof(DestinationEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0");

    public override Task<GetName.Types.Response> GetName(GetName.Types.Request request, ServerCallContext context) =>
        Task.FromResult(new GetName.Types.Response { Name = Name });

    public override Task<GetVersion.Types.Response> GetVersion(GetVersion.Types.Request request, ServerCallContext context) =>
        Task.FromResult(new GetVersion.Types.Response { Version = Version });

    public override Task<GetSpecSchema.Types.Response> GetSpecSchema(GetSpecSchema.Types.Request request, ServerCallContext context) =>
        Task.FromResult(new GetSpecSchema.Types.Response { JsonSchema = ServeSpecSchema.For(serve.Config) });

    public override async Task<Init.Types.Response> Init(Init.Types.Request request, ServerCallContext context)
    {
        var destination = Select(request.Spec.Span);
        if (!request.NoConnection && !serve.Fleet.WorkersAreRemote)
        {
            // The spec binds (and fails with the field's name) here, not at the first batch.
            try
            {
                await serve.CreateDestination(destination).DisposeAsync();
            }
            catch (ConfigException ex)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, Secrets.Redact(ex.Message)));
            }
        }

        serve.Initialized(destination, request.InvocationId);
        Log.Initialized(_logger, destination.Name, request.InvocationId);
        return new Init.Types.Response();
    }

    public override async Task<Write.Types.Response> Write(IAsyncStreamReader<Write.Types.Request> requestStream, ServerCallContext context)
    {
        var (destination, syncId) = serve.BeginWrite() ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "write failed: call Init before Write"));
        var cancellationToken = context.CancellationToken;
        await using var target = await serve.Fleet.BeginWriteAsync(destination, cancellationToken);
        var stream = new WriteStream(destination, syncId, target, serve.Clock);
        try
        {
            while (await requestStream.MoveNext(cancellationToken))
            {
                await stream.HandleAsync(requestStream.Current, cancellationToken);
            }

            await stream.CompleteAsync(cancellationToken);
        }
        catch (WorkersFailedException ex)
        {
            Log.WriteFailed(_logger, destination.Name, syncId, ex.Message);
            throw new RpcException(new Status(StatusCode.Internal, "write failed: " + Secrets.Redact(ex.Message)));
        }
        catch (RpcException ex)
        {
            Log.WriteFailed(_logger, destination.Name, syncId, ex.Status.Detail);
            throw;
        }

        Log.Written(_logger, destination.Name, syncId, stream.Inserts);
        return new Write.Types.Response();
    }

    /// <summary>
    /// Reads a table back from the destination Init chose, as CloudQuery's SDK server does: the records carry the
    /// requested table's schema, in chunks of <see cref="RowsPerRecord"/> rows (halved while a chunk is over the
    /// message limit); any error of the destination is <c>Internal</c>. With a broker, serve reads the destination
    /// directly with its own file's spec (the workers are not involved).
    /// </summary>
    public override async Task Read(Read.Types.Request request, IServerStreamWriter<Read.Types.Response> responseStream, ServerCallContext context)
    {
        var destination = serve.InitializedDestination ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "read failed: call Init before Read"));
        Apache.Arrow.Schema schema;
        TableSchema table;
        try
        {
            schema = ArrowIpc.Read(request.Table.Memory).Schema;
            table = TableSchema.FromArrow(schema);
        }
        catch (Exception ex) when (ex is ContractViolationException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"read failed: table: {ex.Message}"));
        }

        var cancellationToken = context.CancellationToken;
        IReadOnlyList<object?[]> rows;
        try
        {
            await using var reader = serve.CreateDestination(destination);
            rows = await reader.ReadAsync(table, cancellationToken);
        }
        catch (ConfigException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "read failed: " + Secrets.Redact(ex.Message)));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // As CloudQuery's SDK server: whatever the destination raised (a missing table included) is Internal.
            Log.ReadFailed(_logger, destination.Name, table.Name, Secrets.Redact(ex.Message));
            throw new RpcException(new Status(StatusCode.Internal, $"read failed: {destination.Name}: table \"{table.Name}\": {Secrets.Redact(ex.Message)}"));
        }

        for (var start = 0; start < rows.Count; start += RowsPerRecord)
        {
            await SendAsync(responseStream, destination, schema, table, rows, start, Math.Min(RowsPerRecord, rows.Count - start), cancellationToken);
        }

        Log.Read(_logger, destination.Name, table.Name, rows.Count);
    }

    public override Task<Close.Types.Response> Close(Close.Types.Request request, ServerCallContext context) =>
        Task.FromResult(new Close.Types.Response());

    public override async Task<TestConnection.Types.Response> TestConnection(TestConnection.Types.Request request, ServerCallContext context)
    {
        DestinationSpec spec;
        try
        {
            spec = ServeSelection.Select(serve.Config, request.Spec.Span, workersAreRemote: false);
        }
        catch (ConfigException ex)
        {
            return new TestConnection.Types.Response { Success = false, FailureCode = "INVALID_SPEC", FailureDescription = Secrets.Redact(ex.Message) };
        }

        try
        {
            await using var destination = serve.CreateDestination(spec);
            await destination.TestConnectionAsync(context.CancellationToken);
            return new TestConnection.Types.Response { Success = true };
        }
        catch (ConfigException ex)
        {
            return new TestConnection.Types.Response { Success = false, FailureCode = "INVALID_SPEC", FailureDescription = Secrets.Redact(ex.Message) };
        }
        catch (DestinationConnectionException ex)
        {
            return new TestConnection.Types.Response { Success = false, FailureCode = ex.Code, FailureDescription = Secrets.Redact(ex.Message) };
        }
    }

    /// <summary>Sends rows as one record, or in halves while the record would be over the protocol's message limit.</summary>
    static async Task SendAsync(
        IServerStreamWriter<Read.Types.Response> responseStream, DestinationSpec destination, Apache.Arrow.Schema schema, TableSchema table,
        IReadOnlyList<object?[]> rows, int start, int count, CancellationToken cancellationToken)
    {
        byte[] record;
        try
        {
            using var batch = ArrowColumns.Batch(schema, rows, start, count);
            record = ArrowIpc.Write(schema, [batch]);
        }
        catch (InvalidDataException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"read failed: {destination.Name}: table \"{table.Name}\": {ex.Message}"));
        }

        if (record.Length > MaxRecordBytes)
        {
            if (count == 1)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"read failed: {destination.Name}: table \"{table.Name}\": row {start} is {record.Length} bytes as Arrow, over the protocol's {ProtocolLimits.MaxMessageBytes}-byte message limit"));
            }

            var half = count / 2;
            await SendAsync(responseStream, destination, schema, table, rows, start, half, cancellationToken);
            await SendAsync(responseStream, destination, schema, table, rows, start + half, count - half, cancellationToken);
            return;
        }

        await responseStream.WriteAsync(new Read.Types.Response { Record = ByteString.CopyFrom(record) }, cancellationToken);
    }

    DestinationSpec Select(ReadOnlySpan<byte> spec)
    {
        try
        {
            return ServeSelection.Select(serve.Config, spec, serve.Fleet.WorkersAreRemote);
        }
        catch (Exception ex) when (ex is ConfigException or JsonException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, Secrets.Redact(ex.Message)));
        }
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Init: destination {Destination}, invocation {InvocationId}")]
        public static partial void Initialized(ILogger logger, string destination, string invocationId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Write to {Destination} (sync {SyncId}): {Inserts} insert(s), all applied")]
        public static partial void Written(ILogger logger, string destination, Guid syncId, int inserts);

        [LoggerMessage(Level = LogLevel.Information, Message = "Read of {Table} from {Destination}: {Rows} row(s)")]
        public static partial void Read(ILogger logger, string destination, string table, int rows);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Read of {Table} from {Destination} failed: {Reason}")]
        public static partial void ReadFailed(ILogger logger, string destination, string table, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Write to {Destination} (sync {SyncId}) failed: {Reason}")]
        public static partial void WriteFailed(ILogger logger, string destination, Guid syncId, string reason);
    }
}
