using Microsoft.Extensions.Logging;

namespace Workers.Messaging.ClaimCheck;

/// <summary>The claim-check store the settings name, and the object names every store uses.</summary>
public static class ClaimStores
{
    /// <summary>Every claim-check object lives under this prefix, so gc and lifecycle rules never touch anything else.</summary>
    public const string Prefix = "claim-check/";

    public static IClaimStore Create(ClaimCheckSettings settings, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.S3 is not null ? new S3ClaimStore(settings, logger) : new BlobClaimStore(settings, logger);
    }

    /// <summary>The object name of one insert batch: stable, so uploading the same batch again overwrites it.</summary>
    public static string NameFor(Guid syncId, string table, Guid batchId)
    {
        ArgumentNullException.ThrowIfNull(table);

        // Table names reach an object name: keep a safe alphabet so that no name can climb out of its folder.
        var safe = new string(table.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').Take(200).ToArray());
        return $"{Prefix}{syncId}/{(safe.Length == 0 ? "_" : safe)}/{batchId}.arrow";
    }
}
