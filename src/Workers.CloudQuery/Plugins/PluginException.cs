namespace Workers.CloudQuery.Plugins;

/// <summary>A CloudQuery plugin failed, refused or broke the protocol; the message names the plugin and what happened.</summary>
public sealed class PluginException : Exception
{
    public PluginException()
    {
    }

    public PluginException(string message)
        : base(message)
    {
    }

    public PluginException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
