using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Workers.Core.Schema;

/// <summary>Reads and writes CloudQuery's extension-type markers on Arrow fields.</summary>
public static class CqExtensions
{
    public static CqExtension Of(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (field.Metadata is null || !field.Metadata.TryGetValue(CqMetadata.ExtensionName, out var name))
        {
            return CqExtension.None;
        }

        return name switch
        {
            "uuid" => CqExtension.Uuid,
            "json" => CqExtension.Json,
            "inet" => CqExtension.Inet,
            "mac" => CqExtension.Mac,
            _ => CqExtension.None,
        };
    }

    public static string Name(CqExtension extension) => extension switch
    {
        CqExtension.Uuid => "uuid",
        CqExtension.Json => "json",
        CqExtension.Inet => "inet",
        CqExtension.Mac => "mac",
        _ => throw new ArgumentOutOfRangeException(nameof(extension), extension, "not an extension type"),
    };

    /// <summary>The Arrow storage type CloudQuery uses for the extension.</summary>
    public static IArrowType StorageType(CqExtension extension) => extension switch
    {
        CqExtension.Uuid => new FixedSizeBinaryType(16),
        CqExtension.Json or CqExtension.Inet or CqExtension.Mac => BinaryType.Default,
        _ => throw new ArgumentOutOfRangeException(nameof(extension), extension, "not an extension type"),
    };

    /// <summary>Metadata that marks a field as the given extension type.</summary>
    public static Dictionary<string, string> Metadata(CqExtension extension) => new(StringComparer.Ordinal)
    {
        [CqMetadata.ExtensionName] = Name(extension),
        [CqMetadata.ExtensionMetadata] = Name(extension) + "-serialized",
    };

    /// <summary>The text form of an extension value: canonical uuid (RFC 4122 byte order), <c>aa:bb:…</c> MAC, JSON or CIDR text.</summary>
    public static string ToText(CqExtension extension, byte[] bytes) => extension switch
    {
        CqExtension.Uuid => new Guid(bytes, bigEndian: true).ToString("D"),
        CqExtension.Mac => string.Join(':', bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))),
        CqExtension.Json or CqExtension.Inet => Encoding.UTF8.GetString(bytes),
        _ => throw new ArgumentOutOfRangeException(nameof(extension), extension, "not an extension type"),
    };

    public static byte[] FromText(CqExtension extension, string text) => extension switch
    {
        CqExtension.Uuid => Guid.Parse(text).ToByteArray(bigEndian: true),
        CqExtension.Mac => text.Split(':').Select(part => byte.Parse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray(),
        CqExtension.Json or CqExtension.Inet => Encoding.UTF8.GetBytes(text),
        _ => throw new ArgumentOutOfRangeException(nameof(extension), extension, "not an extension type"),
    };
}
