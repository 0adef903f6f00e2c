using YamlDotNet.RepresentationModel;

namespace Workers.Core.Config;

/// <summary>
/// What a CloudQuery user's file may hold beyond what Workers implements, in one table (docs/configuration.md §9
/// lists the same): keys Workers refuses with "not supported by workers: KEY" rather than ignoring, keys that are
/// meaningful in CloudQuery but need nothing from Workers (accepted, checked, and taken out of the plugin's spec),
/// and the plugin names (<c>cloudquery/&lt;name&gt;</c>, <c>registry</c>) that mean a built-in.
/// </summary>
public static class CloudQueryKeys
{
    /// <summary>Top-level keys of a CloudQuery source document Workers does not implement, with the value that asks for nothing (null: any value is refused).</summary>
    static readonly Dictionary<string, string?> UnsupportedSourceKeys = new(StringComparer.Ordinal)
    {
        ["backend_options"] = null,
        ["backend"] = "none",
        ["backend_spec"] = null,
        ["deterministic_cq_id"] = "false",
        ["skip_dependent_tables"] = "false",
        ["otel_endpoint"] = "",
        ["otel_endpoint_insecure"] = "false",
        ["docker_registry_auth_token"] = "",
        ["concurrency"] = null,
        ["table_concurrency"] = null,
        ["resource_concurrency"] = null,
        ["scheduler"] = null,
    };

    /// <summary>The same for a destination document.</summary>
    static readonly Dictionary<string, string?> UnsupportedDestinationKeys = new(StringComparer.Ordinal)
    {
        ["transformers"] = "[]",
        ["docker_registry_auth_token"] = "",
    };

    /// <summary>Keys of a built-in plugin's own spec that CloudQuery's plugin has and Workers does not implement.</summary>
    static readonly Dictionary<string, string[]> UnsupportedPluginKeys = new(StringComparer.Ordinal)
    {
        ["postgresql"] = ["pgvector_config", "lakebase", "aws_iam_auth"],
    };

    /// <summary>
    /// Keys of a built-in plugin's own spec that mean something to CloudQuery's plugin and need nothing from Workers,
    /// with the check of their value. PostgreSQL: <c>pgx_log_level</c> sets the Go driver's trace logging (Workers'
    /// log level is the process's); <c>retry_on_deadlock</c> retries a deadlocked transaction, which every worker does
    /// for every transient error (deadlocks included) with its bounded Polly retry.
    /// </summary>
    static readonly Dictionary<string, Dictionary<string, Func<string, string?>>> IgnoredPluginKeys = new(StringComparer.Ordinal)
    {
        ["postgresql"] = new(StringComparer.Ordinal)
        {
            ["pgx_log_level"] = value => value is "error" or "warn" or "info" or "debug" or "trace" or "none"
                ? null
                : $"must be one of error, warn, info, debug, trace, got '{value}'",
            ["retry_on_deadlock"] = value => int.TryParse(value, out var n) && n >= 0
                ? null
                : $"must be a non-negative integer, got '{value}'",
        },
    };

    /// <summary>Registries whose plugins Workers does not run (a built-in is named with registry cloudquery, github or none).</summary>
    static readonly HashSet<string> BuiltInRegistries = new(StringComparer.Ordinal) { "", "cloudquery", "github" };

    public static string NotSupported(string key) => $"not supported by workers: {key}";

    /// <summary>Throws for a top-level key of <paramref name="kind"/> that Workers does not implement, unless its value asks for nothing.</summary>
    internal static void CheckTopLevel(string kind, YamlMappingNode spec, string where, IReadOnlyCollection<string>? implemented = null)
    {
        var table = kind == "source" ? UnsupportedSourceKeys : UnsupportedDestinationKeys;
        foreach (var (keyNode, value) in spec.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (implemented?.Contains(key) == true)
            {
                continue;
            }

            if (table.TryGetValue(key, out var harmless) && !(harmless is not null && Means(value, harmless)))
            {
                throw new ConfigException($"{where}: spec.{key}: {NotSupported(key)}");
            }
        }
    }

    /// <summary>True for a top-level key <see cref="CheckTopLevel"/> has already judged (and, reaching here, accepted).</summary>
    internal static bool Judged(string kind, string key) =>
        (kind == "source" ? UnsupportedSourceKeys : UnsupportedDestinationKeys).ContainsKey(key);

    /// <summary>
    /// The built-in a <c>path</c> (and <c>registry</c>) names: <c>cloudquery/postgresql</c> and <c>postgresql</c> are
    /// the same plugin. A registry that runs external plugins is refused.
    /// </summary>
    internal static string BuiltInPath(string path, string? registry, string where)
    {
        var name = registry ?? "";
        if (!BuiltInRegistries.Contains(name))
        {
            throw new ConfigException($"{where}: spec.registry: {NotSupported($"registry: {name}")} (Workers runs its built-in plugins; use registry: cloudquery or leave it out)");
        }

        const string prefix = "cloudquery/";
        return path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : path;
    }

    /// <summary>
    /// Checks a built-in plugin's own spec against the two tables above: refuses what Workers lacks, and takes out
    /// (after checking their values) the keys that need nothing from Workers, so the plugin binds the rest strictly.
    /// </summary>
    internal static void CheckPluginSpec(string path, YamlMappingNode spec, string where)
    {
        foreach (var key in UnsupportedPluginKeys.GetValueOrDefault(path) ?? [])
        {
            if (spec.Children.ContainsKey(new YamlScalarNode(key)))
            {
                throw new ConfigException($"{where}: spec.spec.{key}: {NotSupported(key)}");
            }
        }

        if (!IgnoredPluginKeys.TryGetValue(path, out var ignored))
        {
            return;
        }

        foreach (var (key, check) in ignored)
        {
            var keyNode = new YamlScalarNode(key);
            if (!spec.Children.TryGetValue(keyNode, out var value))
            {
                continue;
            }

            var error = value is YamlScalarNode { Value: { } text } ? check(text) : "must be a single value";
            if (error is not null)
            {
                throw new ConfigException($"{where}: spec.spec.{key}: {error}");
            }

            spec.Children.Remove(keyNode);
        }
    }

    static bool Means(YamlNode value, string harmless) => value switch
    {
        YamlScalarNode scalar => string.Equals(scalar.Value ?? "", harmless, StringComparison.OrdinalIgnoreCase),
        YamlSequenceNode sequence => harmless == "[]" && sequence.Children.Count == 0,
        _ => false,
    };
}
