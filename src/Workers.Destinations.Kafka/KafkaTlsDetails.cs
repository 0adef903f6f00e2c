namespace Workers.Destinations.Kafka;

/// <summary>The <c>tls_details</c> block, PEM files as CloudQuery's.</summary>
public sealed class KafkaTlsDetails
{
    public string CertFilePath { get; set; } = "";

    public string KeyFilePath { get; set; } = "";

    public string CaFilePath { get; set; } = "";
}
