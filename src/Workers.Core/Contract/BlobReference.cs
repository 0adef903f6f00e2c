using System.Security.Cryptography;

namespace Workers.Core.Contract;

/// <summary>
/// A claim check: the insert's Arrow stream lives in the blob at <see cref="Uri"/>, and <see cref="Sha256"/> is
/// the lowercase hex SHA-256 of the blob's bytes (the headers <c>cq-blob-uri</c> and <c>cq-blob-sha256</c>).
/// </summary>
public sealed record BlobReference(Uri Uri, string Sha256)
{
    /// <summary>The lowercase hex SHA-256 that <c>cq-blob-sha256</c> carries.</summary>
    public static string Hash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
