namespace Workers.Core.Schema;

/// <summary>The CloudQuery extension types carried in <c>ARROW:extension:name</c>.</summary>
public enum CqExtension
{
    None,
    /// <summary>fixed_size_binary(16).</summary>
    Uuid,
    /// <summary>binary holding UTF-8 JSON text.</summary>
    Json,
    /// <summary>binary holding the textual CIDR, e.g. <c>10.1.2.3/24</c>.</summary>
    Inet,
    /// <summary>binary holding the 6 raw bytes of a MAC address.</summary>
    Mac,
}
