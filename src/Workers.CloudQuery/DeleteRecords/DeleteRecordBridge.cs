using Workers.CloudQuery.Protocol.V3;
using Workers.Core.Sync;

namespace Workers.CloudQuery.DeleteRecords;

/// <summary>
/// The one place where CloudQuery's delete-record meets the fleet, for both directions: a source plugin's
/// <c>Sync</c> stream (<see cref="PublishFromSourceAsync"/>) and a CLI's <c>Write</c> stream into
/// <c>workers serve</c> (<see cref="PublishFromWriteAsync"/>). The wire contract's delete-record message (v1.1) is
/// not defined yet, so both refuse for now: a source's delete-record ends its sync with this error (nothing of it
/// is silently dropped), and serve fails the Write stream with <c>Unimplemented</c>. Connecting them means
/// encoding the table, the where clause and the table relations into the contract's message and publishing it
/// through <paramref name="session"/>.
/// </summary>
internal static class DeleteRecordBridge
{
    public const string NotSupported = "delete-record is not supported yet";

    /// <exception cref="NotSupportedException">Until the wire contract has a delete-record message.</exception>
    public static Task PublishFromSourceAsync(SyncSession session, Sync.Types.MessageDeleteRecord message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        throw new NotSupportedException($"{NotSupported} (table {message.TableName})");
    }

    /// <exception cref="NotSupportedException">Until the wire contract has a delete-record message.</exception>
    public static Task PublishFromWriteAsync(SyncSession session, Write.Types.MessageDeleteRecord message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        throw new NotSupportedException($"{NotSupported} (table {message.TableName})");
    }
}
