using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Workers.CloudQuery.DeleteRecords;
using Workers.CloudQuery.Plugins;
using Workers.CloudQuery.Protocol.V3;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sync;

namespace Workers.CloudQuery.Sources;

/// <summary>
/// Runs a CloudQuery source plugin as the CloudQuery CLI does (<c>registry: grpc</c>: dial <c>path</c>;
/// <c>registry: local</c>: start <c>path serve --address</c>), and publishes its Sync stream like a built-in
/// source's: each migrate_table as a migrate-table, each insert as an insert with <c>_cq_sync_time</c> and
/// <c>_cq_source_name</c> added, and at the end a delete-stale per table. Errors the plugin reports are kept for
/// the summary, and their tables get no delete-stale. A plugin that dies, hangs or breaks the protocol ends the
/// sync with a <see cref="PluginException"/> naming it, and no delete-stale at all is published.
/// </summary>
public sealed partial class PluginSourceRunner(ISyncPublisher publisher, TimeProvider clock, ISyncObserver? observer, ILoggerFactory loggers, PluginSourceOptions? options = null)
{
    readonly PluginSourceOptions _options = options ?? new PluginSourceOptions();
    readonly ILogger _logger = loggers.CreateLogger("Workers.CloudQuery.Source");

    /// <summary>Checks what can be checked before anything starts.</summary>
    /// <exception cref="ConfigException">The registry or path cannot name a plugin.</exception>
    public static void Validate(SourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.Registry)
        {
            case "grpc":
                var colon = spec.Path.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(spec.Path.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535)
                {
                    throw new ConfigException($"{spec.Location}: spec.path: registry grpc needs host:port of a running plugin, got '{spec.Path}'");
                }

                break;
            case "local":
                if (!File.Exists(spec.Path))
                {
                    throw new ConfigException($"{spec.Location}: spec.path: {spec.Path} does not exist (registry local runs a plugin executable with `serve --address`)");
                }

                break;
            default:
                throw new ConfigException($"{spec.Location}: spec.registry: '{spec.Registry}' is not a plugin registry workers can run (grpc or local)");
        }
    }

    /// <exception cref="PluginException">The plugin failed; what was published before stays correct.</exception>
    public async Task<PluginSyncResult> RunAsync(SourceSpec spec, CancellationToken cancellationToken)
    {
        Validate(spec);
        var plugin = $"source plugin \"{spec.Name}\" ({spec.Path})";
        LocalPluginProcess? process = null;
        try
        {
            if (spec.Registry == "local")
            {
                process = await LocalPluginProcess.StartAsync(spec.Path, plugin, _options.StartTimeout, _logger, cancellationToken);
            }

            await using var connection = await PluginConnection.ConnectAsync(process?.Address ?? spec.Path, plugin, cancellationToken);
            return await SyncAsync(spec, plugin, connection.Client, process, cancellationToken);
        }
        finally
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }
    }

    async Task<PluginSyncResult> SyncAsync(SourceSpec spec, string plugin, Plugin.PluginClient client, LocalPluginProcess? process, CancellationToken cancellationToken)
    {
        var session = SyncSession.Begin(publisher, spec.Name, spec.Destinations, clock);
        await CallAsync(plugin, "Init", process, async () => await client.InitAsync(
            new Init.Types.Request { Spec = ByteString.CopyFrom(SpecJson.FromYaml(spec.Spec)), InvocationId = session.Sync.SyncId.ToString() },
            cancellationToken: cancellationToken));

        var tablesRequest = new GetTables.Types.Request { SkipDependentTables = spec.SkipDependentTables };
        tablesRequest.Tables.AddRange(spec.Tables);
        tablesRequest.SkipTables.AddRange(spec.SkipTables);
        var tables = await CallAsync(plugin, "GetTables", process, async () => await client.GetTablesAsync(tablesRequest, cancellationToken: cancellationToken));
        var names = tables.Tables.Select(t => TableName(plugin, t)).ToList();
        if (names.Count == 0)
        {
            throw new ConfigException($"{spec.Location}: spec.tables: selects none of the tables of {plugin}");
        }

        observer?.SyncStarted(session.Sync, names, spec.Destinations);
        Log.Syncing(_logger, plugin, session.Sync.SyncId, names.Count);

        var request = new Sync.Types.Request
        {
            SkipDependentTables = spec.SkipDependentTables,
            DeterministicCqId = spec.DeterministicCqId,
            WithErrorMessages = true,
        };
        request.Tables.AddRange(spec.Tables);
        request.SkipTables.AddRange(spec.SkipTables);

        var errors = new List<SourceError>();
        await CallAsync(plugin, "Sync", process, async () =>
        {
            using var call = client.Sync(request, cancellationToken: cancellationToken);
            while (await NextAsync(call.ResponseStream, plugin, cancellationToken))
            {
                await PublishAsync(session, plugin, call.ResponseStream.Current, errors, cancellationToken);
            }

            return 0;
        });

        // Sources need not implement Close; its failure changes nothing of what was read.
        try
        {
            await client.CloseAsync(new Close.Types.Request(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
        }
        catch (RpcException ex)
        {
            Log.CloseFailed(_logger, plugin, ex.Status.Detail);
        }

        var keepStale = errors.Any(e => e.Table.Length == 0)
            ? session.Tables.Keys.ToList()
            : errors.Select(e => e.Table).Distinct(StringComparer.Ordinal).ToList();
        var published = await session.CompleteAsync(keepStale, cancellationToken);
        observer?.SyncPublished(session.Sync, published);
        return new PluginSyncResult(session.Sync, errors, keepStale.Where(published.ContainsKey).ToList());
    }

    async Task PublishAsync(SyncSession session, string plugin, Sync.Types.Response message, List<SourceError> errors, CancellationToken cancellationToken)
    {
        switch (message.MessageCase)
        {
            case Sync.Types.Response.MessageOneofCase.MigrateTable:
                await session.MigrateAsync(ReadSchema(plugin, message.MigrateTable.Table), cancellationToken);
                break;
            case Sync.Types.Response.MessageOneofCase.Insert:
                foreach (var batch in ReadRecords(plugin, message.Insert.Record))
                {
                    using (batch)
                    {
                        await session.WriteAsync(batch, cancellationToken);
                        observer?.BatchPublished(session.Sync, TableSchema.FromArrow(batch.Schema).Name, batch.Length);
                    }
                }

                break;
            case Sync.Types.Response.MessageOneofCase.DeleteRecord:
                try
                {
                    await DeleteRecordBridge.PublishFromSourceAsync(session, message.DeleteRecord, cancellationToken);
                }
                catch (FormatException ex)
                {
                    throw new PluginException($"{plugin} sent a delete-record that cannot be one: {ex.Message}; the sync stops here, and no stale rows are deleted", ex);
                }

                break;
            case Sync.Types.Response.MessageOneofCase.Error:
                errors.Add(new SourceError(message.Error.TableName, message.Error.Error));
                Log.SourceError(_logger, plugin, message.Error.TableName, message.Error.Error);
                break;
            default:
                throw new PluginException($"{plugin} sent a Sync message workers does not know (field {(int)message.MessageCase}); is it newer than protocol v3?");
        }
    }

    /// <summary>The next message, or false at the stream's end; a plugin silent for longer than the idle timeout is taken for hung.</summary>
    async Task<bool> NextAsync(IAsyncStreamReader<Sync.Types.Response> stream, string plugin, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.IdleTimeout);
        try
        {
            return await stream.MoveNext(idle.Token);
        }
        catch (Exception ex) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested && ex is OperationCanceledException or RpcException)
        {
            throw new PluginException(string.Create(CultureInfo.InvariantCulture,
                $"{plugin} sent nothing for {_options.IdleTimeout.TotalSeconds:F0}s during the sync and was given up as hung ({PluginSourceOptions.IdleTimeoutVariable} sets the limit); no stale rows are deleted"), ex);
        }
    }

    static async Task<T> CallAsync<T>(string plugin, string step, LocalPluginProcess? process, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || process?.HasExited == true)
        {
            // A dying process closes its connection before the exit is visible: give it a moment to be seen.
            for (var i = 0; i < 20 && process is { HasExited: false }; i++)
            {
                await Task.Delay(100);
            }

            var what = process?.ExitDescription() is { } exit
                ? $"{exit} during {step} ({ex.StatusCode}: {ex.Status.Detail})"
                : $"failed during {step}: {ex.StatusCode}: {ex.Status.Detail}";
            var after = step == "Sync" ? "; what it sent before was published, no stale rows are deleted" : "";
            throw new PluginException($"{plugin} {what}{after}{process?.LastOutput()}", ex);
        }
    }

    static string TableName(string plugin, ByteString table) => TableSchema.FromArrow(ReadSchema(plugin, table)).Name;

    static Apache.Arrow.Schema ReadSchema(string plugin, ByteString table)
    {
        var (schema, batches) = Read(plugin, table, "table");
        foreach (var batch in batches)
        {
            batch.Dispose();
        }

        return schema;
    }

    static List<Apache.Arrow.RecordBatch> ReadRecords(string plugin, ByteString record) => Read(plugin, record, "record").Batches;

    static (Apache.Arrow.Schema Schema, List<Apache.Arrow.RecordBatch> Batches) Read(string plugin, ByteString bytes, string what)
    {
        try
        {
            var read = ArrowIpc.Read(bytes.Memory);
            _ = TableSchema.FromArrow(read.Schema);
            return read;
        }
        catch (Exception ex) when (ex is ContractViolationException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new PluginException($"{plugin} sent a {what} workers cannot read: {ex.Message}", ex);
        }
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "{Plugin}: sync {SyncId} of {Tables} table(s)")]
        public static partial void Syncing(ILogger logger, string plugin, Guid syncId, int tables);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Plugin}: table {Table}: {Error}")]
        public static partial void SourceError(ILogger logger, string plugin, string table, string error);

        [LoggerMessage(Level = LogLevel.Debug, Message = "{Plugin}: Close failed: {Detail}")]
        public static partial void CloseFailed(ILogger logger, string plugin, string detail);
    }
}
