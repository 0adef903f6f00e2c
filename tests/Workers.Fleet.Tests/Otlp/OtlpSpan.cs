namespace Workers.Fleet.Tests.Otlp;

/// <summary>One span as an OTLP exporter sent it, with the service that exported it (ids in lowercase hex).</summary>
sealed record OtlpSpan(
    string Service,
    string Scope,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    int Kind,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<string> Events,
    int StatusCode)
{
    /// <summary>OTLP's SpanKind: 4 = producer, 5 = consumer.</summary>
    public const int Producer = 4;

    public const int Consumer = 5;

    /// <summary>OTLP's Status.StatusCode: 2 = error.</summary>
    public const int Error = 2;

    public string? Attribute(string key) => Attributes.TryGetValue(key, out var value) ? value : null;
}
