using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Config;

/// <summary>
/// Reads CloudQuery-shaped YAML: several documents per file, each <c>kind: source</c> or <c>kind: destination</c>
/// with a <c>spec</c>; <c>${ENV}</c> expanded first. Every error names the file, the document and the field.
/// </summary>
public static class ConfigLoader
{
    static readonly HashSet<string> IgnoredFields = new(StringComparer.Ordinal) { "version", "registry" };

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
        var expanded = EnvExpander.Expand(yaml, environment ?? Environment.GetEnvironmentVariable, file);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(expanded));
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

        var sources = new List<SourceSpec>();
        var destinations = new List<DestinationSpec>();
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
                    destinations.Add(ReadDestination(spec, where));
                    break;
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

        return new WorkersConfig(file, sources, destinations);
    }

    static SourceSpec ReadSource(YamlMappingNode spec, string where)
    {
        var name = RequiredName(spec, where);
        where = $"{where} (source \"{name}\")";
        CheckKnown(spec, where, "name", "path", "tables", "skip_tables", "destinations", "spec", "skip_dependent_tables", "deterministic_cq_id");
        var path = OptionalScalar(spec, "path", where) ?? throw new ConfigException($"{where}: spec.path: required (the built-in source, e.g. test)");
        var tables = OptionalList(spec, "tables", where) ?? ["*"];
        var destinations = OptionalList(spec, "destinations", where) ?? [];
        if (destinations.Count == 0)
        {
            throw new ConfigException($"{where}: spec.destinations: required, name at least one destination");
        }

        return new SourceSpec(name, path, tables, OptionalList(spec, "skip_tables", where) ?? [], destinations, NestedSpec(spec, where), where)
        {
            Registry = OptionalScalar(spec, "registry", where),
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

    static DestinationSpec ReadDestination(YamlMappingNode spec, string where)
    {
        var name = RequiredName(spec, where);
        where = $"{where} (destination \"{name}\")";
        CheckKnown(spec, where, "name", "path", "write_mode", "migrate_mode", "pk_mode", "spec", "send_sync_summary", "sync_group_id");
        var path = OptionalScalar(spec, "path", where) ?? throw new ConfigException($"{where}: spec.path: required (the built-in destination, e.g. sqlite)");
        return new DestinationSpec(
            name,
            path,
            Enumerated(spec, "write_mode", where, WriteMode.OverwriteDeleteStale),
            Enumerated(spec, "migrate_mode", where, MigrateMode.Safe),
            Enumerated(spec, "pk_mode", where, PkMode.Default),
            NestedSpec(spec, where),
            where);
    }

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

    static void CheckKnown(YamlMappingNode spec, string where, params string[] known)
    {
        foreach (var key in Keys(spec).Where(k => !known.Contains(k) && !IgnoredFields.Contains(k)))
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
