using System.Globalization;

namespace Workers.CloudQuery.Sources;

/// <summary>How long a source plugin may take to start listening, and to stay silent during a sync.</summary>
public sealed record PluginSourceOptions
{
    /// <summary>The environment variable that sets <see cref="IdleTimeout"/>, in seconds.</summary>
    public const string IdleTimeoutVariable = "WORKERS_PLUGIN_IDLE_TIMEOUT";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A plugin that sends nothing for this long is taken for hung and the sync fails (default 10 minutes).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <exception cref="Core.Config.ConfigException">The variable is set but not a positive number of seconds.</exception>
    public static PluginSourceOptions FromEnvironment(Func<string, string?>? environment = null)
    {
        var text = (environment ?? Environment.GetEnvironmentVariable)(IdleTimeoutVariable);
        if (string.IsNullOrEmpty(text))
        {
            return new PluginSourceOptions();
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? new PluginSourceOptions { IdleTimeout = TimeSpan.FromSeconds(seconds) }
            : throw new Core.Config.ConfigException($"{IdleTimeoutVariable}: must be a positive number of seconds, got '{text}'");
    }
}
