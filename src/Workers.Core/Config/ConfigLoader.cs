using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Config;

/// <summary>
/// Reads CloudQuery-shaped YAML: several documents per file, each <c>kind: source</c> or <c>kind: destination</c>
/// with a <c>spec</c>; <c>${ENV}</c> expanded in the scalar values once the YAML is parsed. Every error names the
/// file, the document and the field.
/// </summary>
public static class ConfigLoader
{
    /// <summary>How deeply collections may nest. CloudQuery specs need a handful; YamlDotNet's loader recurses, so
    /// a file of 100,000 <c>[</c> would overflow the stack (and that cannot be caught) without this bound.</summary>
    public const int MaxNesting = 64;

    static readonly HashSet<string> MetadataFields = new(StringComparer.Ordinal) { "version", "registry" };

    public static WorkersConfig LoadFile(string path, Func<string, string?>? environment = null)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException($"{path}: file not found");
        }

        return Parse(File.ReadAllText(path), path, environment);
    }

    public static WorkersConfig Parse(string yaml, string file, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            CheckNesting(yaml, file);
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new ConfigException($"{file}: line {ex.Start.Line}: not valid YAML: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet reports some unclosed flow collections this way, without a position.
            throw new ConfigException($"{file}: not valid YAML (an unclosed [ or {{?): {ex.Message}", ex);
        }

        EnvExpander.Expand(stream, environment ?? Environment.GetEnvironmentVariable, file);
        RegisterLiteralSecrets(stream);
        var sources = new List<SourceSpec>();
        var destinations = new List<DestinationSpec>();
        var notices = new List<string>();
        var number = 0;
        foreach (var document in stream.Documents)
        {
            number++;
            if (document.RootNode is YamlScalarNode { Value: null or "" })
            {
                continue;
            }

            var where = $"{file}: document {number}";
            if (document.RootNode is not YamlMappingNode root)
            {
                throw new ConfigException($"{where}: must be a mapping with kind and spec");
            }

            var kind = OptionalScalar(root, "kind", where) ?? throw new ConfigException($"{where}: kind: required (source or destination)");
            var spec = root.Children.TryGetValue(new YamlScalarNode("spec"), out var specNode)
                ? specNode as YamlMappingNode ?? throw new ConfigException($"{where}: spec: must be a mapping")
                : throw new ConfigException($"{where}: spec: required");
            foreach (var key in Keys(root).Where(k => k is not ("kind" or "spec")))
            {
                throw new ConfigException($"{where}: {key}: unknown field (a document has kind and spec)");
            }

            switch (kind)
            {
                case "source":
                    sources.Add(ReadSource(spec, where));
                    break;
                case "destination":
                    destinations.Add(ReadDestination(spec, where, notices));
                    break;
                case "transformer":
                    throw new ConfigException($"{where}: kind: {CloudQueryKeys.NotSupported("kind: transformer")} (transformer plugins do not run in Workers)");
                default:
                    throw new ConfigException($"{where}: kind: must be source or destination, got '{kind}'");
            }
        }

        if (sources.Count == 0 && destinations.Count == 0)
        {
            throw new ConfigException($"{file}: declares no source and no destination");
        }

        foreach (var duplicate in sources.GroupBy(s => s.Name).Where(g => g.Count() > 1))
        {
            throw new ConfigException($"{duplicate.Last().Location}: spec.name: source \"{duplicate.Key}\" is declared twice");
        }

        foreach (var duplicate in destinations.GroupBy(d => d.Name).Where(g => g.Count() > 1))
        {
            throw new ConfigException($"{duplicate.Last().Location}: spec.name: destination \"{duplicate.Key}\" is declared twice");
        }

        return new WorkersConfig(file, sources, destinations) { Notices = notices };
    }

    /// <summary>Walks the stream's events (no recursion) and refuses nesting deeper than <see cref="MaxNesting"/>.</summary>
    static void CheckNesting(string yaml, string file)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.SequenceStart or YamlDotNet.Core.Events.MappingStart:
                    if (++depth > MaxNesting)
                    {
                        throw new ConfigException($"{file}: line {parser.Current.Start.Line}: nested more than {MaxNesting} levels deep (lists and mappings inside each other); a configuration never needs that many");
                    }

                    break;
                case YamlDotNet.Core.Events.SequenceEnd or YamlDotNet.Core.Events.MappingEnd:
                    depth--;
                    break;
            }
        }
    }

    // A literal password in a file is as secret as one from the environment: the values of secret-named keys are
    // registered whole, and the passwords inside a connection string (not the whole string: for SQLite it is a
    // file name, worth showing) are registered as parts.
    static void RegisterLiteralSecrets(YamlStream stream)
    {
        var seen = new HashSet<YamlNode>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<YamlNode>(stream.Documents.Select(d => d.RootNode));
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (!seen.Add(node))
            {
                continue;
            }

            switch (node)
            {
                case YamlSequenceNode sequence:
                    sequence.Children.ToList().ForEach(pending.Push);
                    break;
                case YamlMappingNode mapping:
                    foreach (var (key, value) in mapping.Children)
                    {
                        if (key is YamlScalarNode { Value: { } name } && value is YamlScalarNode { Value: { Length: > 0 } text })
                        {
                            if (IsSecretName(name))
                            {
                                Secrets.Register(text);
                            }
                            else
                            {
                                Secrets.RegisterPartsOf(text);
                            }
                        }
                        else
                        {
                            pending.Push(value);
                        }
                    }

                    break;
            }
        }
    }

    static bool IsSecretName(string key) =>
        key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || key.Contains("token", StringComparison.OrdinalIgnoreCase) || key.EndsWith("_key", StringComparison.OrdinalIgnoreCase)
        || key.Contains("key_json", StringComparison.OrdinalIgnoreCase) || key is "sas" or "credentials";

    static SourceSpec ReadSource(YamlMappingNode spec, string where)
    {
        var name = RequiredName(spec, where);
        where = $"{where} (source \"{name}\")";
        var registry = OptionalScalar(spec, "registry", where);
        var plugin = registry is "grpc" or "local";
        // A CloudQuery plugin source takes skip_dependent_tables and deterministic_cq_id (passed to it); a built-in refuses them.
        CloudQueryKeys.CheckTopLevel("source", spec, where, plugin ? ["skip_dependent_tables", "deterministic_cq_id"] : []);
        CheckKnown(spec, where, "source", "name", "path", "tables", "skip_tables", "destinations", "spec", "skip_dependent_tables", "deterministic_cq_id");
        var path = OptionalScalar(spec, "path", where) ?? throw new ConfigException($"{where}: spec.path: required (the built-in source, e.g. test)");
        // A plugin's path is its address or executable; a built-in's may be spelt cloudquery/<name>.
        path = plugin ? path : CloudQueryKeys.BuiltInPath(path, registry, where);
        var tables = OptionalList(spec, "tables", where) ?? ["*"];
        var destinations = OptionalList(spec, "destinations", where) ?? [];
        if (destinations.Count == 0)
        {
            throw new ConfigException($"{where}: spec.destinations: required, name at least one destination");
        }

        return new SourceSpec(name, path, tables, OptionalList(spec, "skip_tables", where) ?? [], destinations, NestedSpec(spec, where), where)
        {
            Version = OptionalScalar(spec, "version", where),
            Registry = registry,
            SkipDependentTables = Flag(spec, "skip_dependent_tables", where),
            DeterministicCqId = Flag(spec, "deterministic_cq_id", where),
        };
    }

    static bool Flag(YamlMappingNode spec, string key, string where)
    {
        var text = OptionalScalar(spec, key, where);
        if (text is null)
        {
            return false;
        }

        return bool.TryParse(text, out var value) ? value : throw new ConfigException($"{where}: spec.{key}: must be true or false, got '{text}'");
    }

    static DestinationSpec ReadDestination(YamlMappingNode spec, string where, List<string> notices)
    {
        var name = RequiredName(spec, where);
        where = $"{where} (destination \"{name}\")";
        CloudQueryKeys.CheckTopLevel("destination", spec, where);
        CheckKnown(spec, where, "destination", "name", "path", "write_mode", "migrate_mode", "pk_mode", "spec", "send_sync_summary", "sync_group_id");
        var written = OptionalScalar(spec, "path", where) ?? throw new ConfigException($"{where}: spec.path: required (the built-in destination, e.g. sqlite)");
        var path = CloudQueryKeys.BuiltInPath(written, OptionalScalar(spec, "registry", where), where);
        var version = OptionalScalar(spec, "version", where);
        if (version is not null)
        {
            notices.Add($"destination {name}: {written} {version} requested; Workers runs its built-in {path} (plugin versions are not enforced)");
        }

        var nested = NestedSpec(spec, where);
        CloudQueryKeys.CheckPluginSpec(path, nested, where);
        var writeMode = Enumerated(spec, "write_mode", where, WriteMode.OverwriteDeleteStale);
        var syncGroupId = OptionalScalar(spec, "sync_group_id", where);
        if (syncGroupId is not null && writeMode == WriteMode.OverwriteDeleteStale)
        {
            // As CloudQuery: a delete-stale keyed by source and time would delete the other groups' rows.
            throw new ConfigException($"{where}: spec.sync_group_id: not supported with write_mode: overwrite-delete-stale (use overwrite or append, as in CloudQuery)");
        }

        return new DestinationSpec(
            name,
            path,
            writeMode,
            Enumerated(spec, "migrate_mode", where, MigrateMode.Safe),
            Enumerated(spec, "pk_mode", where, PkMode.Default),
            nested,
            where)
        {
            WriteModeGiven = OptionalScalar(spec, "write_mode", where) is not null,
            Version = version,
            SyncGroupId = syncGroupId,
            SendSyncSummary = OptionalBool(spec, "send_sync_summary", where),
        };
    }

    static bool OptionalBool(YamlMappingNode spec, string key, string where) => OptionalScalar(spec, key, where) switch
    {
        null => false,
        var text when bool.TryParse(text, out var value) => value,
        var text => throw new ConfigException($"{where}: spec.{key}: must be true or false, got '{text}'"),
    };

    static string RequiredName(YamlMappingNode spec, string where)
    {
        var name = OptionalScalar(spec, "name", where) ?? throw new ConfigException($"{where}: spec.name: required");
        if (name.Length is 0 or > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ConfigException($"{where}: spec.name: use 1-100 letters, digits, '_' or '-', got '{name}'");
        }

        return name;
    }

    static T Enumerated<T>(YamlMappingNode spec, string key, string where, T fallback)
        where T : struct, Enum
    {
        var text = OptionalScalar(spec, key, where);
        if (text is null)
        {
            return fallback;
        }

        foreach (var value in Enum.GetValues<T>())
        {
            if (string.Equals(SpecBinder.Kebab(value.ToString()), text, StringComparison.Ordinal))
            {
                return value;
            }
        }

        // CloudQuery's SDK spells forced as "force" in places; accept it.
        if (typeof(T) == typeof(MigrateMode) && text == "force")
        {
            return (T)(object)MigrateMode.Forced;
        }

        throw new ConfigException($"{where}: spec.{key}: must be one of {string.Join(", ", Enum.GetValues<T>().Select(v => SpecBinder.Kebab(v.ToString())))}, got '{text}'");
    }

    static YamlMappingNode NestedSpec(YamlMappingNode spec, string where) =>
        spec.Children.TryGetValue(new YamlScalarNode("spec"), out var node)
            ? node as YamlMappingNode ?? (node is YamlScalarNode { Value: null or "" } ? new YamlMappingNode() : throw new ConfigException($"{where}: spec.spec: must be a mapping"))
            : new YamlMappingNode();

    static void CheckKnown(YamlMappingNode spec, string where, string kind, params string[] known)
    {
        foreach (var key in Keys(spec).Where(k => !known.Contains(k) && !MetadataFields.Contains(k) && !CloudQueryKeys.Judged(kind, k)))
        {
            throw new ConfigException($"{where}: spec.{key}: unknown field (known: {string.Join(", ", known)})");
        }
    }

    static IEnumerable<string> Keys(YamlMappingNode node) => node.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? "");

    static string? OptionalScalar(YamlMappingNode node, string key, string where)
    {
        if (!node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return null;
        }

        return value is YamlScalarNode scalar
            ? string.IsNullOrEmpty(scalar.Value) ? null : scalar.Value
            : throw new ConfigException($"{where}: {(key == "kind" ? "" : "spec.")}{key}: must be a single value");
    }

    static List<string>? OptionalList(YamlMappingNode node, string key, string where)
    {
        if (!node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return null;
        }

        return value is YamlSequenceNode sequence
            ? sequence.Children.Select(c => (c as YamlScalarNode)?.Value ?? throw new ConfigException($"{where}: spec.{key}: must be a list of names")).ToList()
            : throw new ConfigException($"{where}: spec.{key}: must be a list, e.g. [\"*\"]");
    }
}
