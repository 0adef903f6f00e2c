using System.Reflection;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Workers.CloudQuery.Protocol.V3;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// `workers serve` as a CloudQuery destination plugin (protocol v3). Errors follow CloudQuery's Go SDK server:
/// a message that cannot be decoded is <c>InvalidArgument</c>, a write the workers could not apply <c>Internal</c>
/// with "write failed: …"; a spec or a mode we refuse is <c>InvalidArgument</c> or <c>FailedPrecondition</c>.
/// </summary>
internal sealed partial class DestinationEndpoint(ServeContext serve) : Plugin.PluginBase
{
    public const string Name = "workers";

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

        [LoggerMessage(Level = LogLevel.Warning, Message = "Write to {Destination} (sync {SyncId}) failed: {Reason}")]
        public static partial void WriteFailed(ILogger logger, string destination, Guid syncId, string reason);
    }
}
