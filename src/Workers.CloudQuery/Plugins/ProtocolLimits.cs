namespace Workers.CloudQuery.Plugins;

/// <summary>What the CloudQuery CLI allows on its plugin connections; ours are the same so that neither side refuses the other's messages.</summary>
internal static class ProtocolLimits
{
    public const int MaxMessageBytes = 200 * 1024 * 1024;
}
