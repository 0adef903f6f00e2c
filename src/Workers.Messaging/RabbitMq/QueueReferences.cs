namespace Workers.Messaging.RabbitMq;

/// <summary>
/// What one queue held when it was looked at: its depth and, when <see cref="Scanned"/>, the claim-check blob URIs
/// its messages reference.
/// </summary>
public sealed record QueueReferences(string Queue, bool Exists, int Messages, bool Scanned, IReadOnlySet<string> BlobUris);
