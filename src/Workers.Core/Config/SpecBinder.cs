using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Config;

/// <summary>
/// Binds a plugin's nested <c>spec</c> mapping to an options class by snake_case names, with errors that name
/// the field ("spec.batch_size: must be an integer, got 'ten'") and refuse unknown fields, as CloudQuery does.
/// Supports string, bool, int, long, double, TimeSpan ("20s", "1m30s", "500ms"), enums (kebab-case), string lists,
/// nested options classes (bound the same way) and raw nested mappings (left to their owner to bind).
/// </summary>
public static class SpecBinder
{
    public static T Bind<T>(YamlMappingNode? spec, string location)
        where T : new()
    {
        var target = new T();
        if (spec is not null)
        {
            BindInto(target, spec, $"{location}: spec.spec.");
        }

        return target;
    }

    // Fills target's properties from the mapping; a nested options class (format_spec) is bound the same way,
    // its fields named under its key.
    static void BindInto(object target, YamlMappingNode spec, string prefix)
    {
        var properties = target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(p => SnakeCase(p.Name), StringComparer.Ordinal);

        foreach (var (keyNode, valueNode) in spec.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            if (!properties.TryGetValue(key, out var property))
            {
                throw new ConfigException($"{prefix}{key}: unknown field (known: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))})");
            }

            property.SetValue(target, Convert(valueNode, property.PropertyType, $"{prefix}{key}"));
        }
    }

    static bool IsOptionsClass(Type type) =>
        type.IsClass && type != typeof(string) && !type.IsAbstract && type.GetConstructor(Type.EmptyTypes) is not null
        && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type);

    /// <summary>Binds, then runs the options' own checks; the first complaint becomes the error, naming its field.</summary>
    public static T BindValid<T>(YamlMappingNode? spec, string location, Func<T, IEnumerable<string>> validate)
        where T : new()
    {
        ArgumentNullException.ThrowIfNull(validate);
        var options = Bind<T>(spec, location);
        var error = validate(options).FirstOrDefault();
        return error is null ? options : throw new ConfigException($"{location}: spec.spec.{error}");
    }

    public static string SnakeCase(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(pascal[i]));
        }

        return builder.ToString();
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var rest = text.Trim();
        if (rest.Length == 0)
        {
            return false;
        }

        if (rest == "0")
        {
            return true;
        }

        while (rest.Length > 0)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            {
                digits++;
            }

            var unitLength = 0;
            while (digits + unitLength < rest.Length && char.IsAsciiLetter(rest[digits + unitLength]))
            {
                unitLength++;
            }

            if (digits == 0 || unitLength == 0 ||
                !double.TryParse(rest[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            TimeSpan? part = rest.Substring(digits, unitLength) switch
            {
                "h" => TimeSpan.FromHours(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "ms" => TimeSpan.FromMilliseconds(amount),
                _ => null,
            };
            if (part is null)
            {
                return false;
            }

            duration += part.Value;
            rest = rest[(digits + unitLength)..];
        }

        return true;
    }

    static object? Convert(YamlNode node, Type type, string where)
    {
        if (type == typeof(List<string>) || type == typeof(IReadOnlyList<string>))
        {
            return node is YamlSequenceNode sequence
                ? sequence.Children.Select(child => Scalar(child, where)).ToList()
                : throw new ConfigException($"{where}: must be a list");
        }

        if (type == typeof(YamlMappingNode))
        {
            // A nested options object (e.g. format_spec): its owner binds it with its own type. CloudQuery's own
            // examples leave it empty (`format_spec:` over commented-out keys), which YAML reads as null: none given.
            return node switch
            {
                YamlMappingNode mapping => mapping,
                YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted), Value: null or "" or "~" or "null" } => null,
                _ => throw new ConfigException($"{where}: must be a mapping"),
            };
        }

        if (IsOptionsClass(type))
        {
            if (node is YamlScalarNode { Value: null or "" })
            {
                return null;
            }

            var nested = Activator.CreateInstance(type)!;
            BindInto(nested, node as YamlMappingNode ?? throw new ConfigException($"{where}: must be a mapping"), where + ".");
            return nested;
        }

        var text = Scalar(node, where);
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string))
        {
            return text;
        }

        if (underlying == typeof(bool))
        {
            return bool.TryParse(text, out var b) ? b : throw new ConfigException($"{where}: must be true or false, got '{text}'");
        }

        if (underlying == typeof(int))
        {
            return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                ? i
                : throw new ConfigException($"{where}: must be an integer, got '{text}'");
        }

        if (underlying == typeof(long))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                ? l
                : throw new ConfigException($"{where}: must be an integer, got '{text}'");
        }

        if (underlying == typeof(double))
        {
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? d
                : throw new ConfigException($"{where}: must be a number, got '{text}'");
        }

        if (underlying == typeof(TimeSpan))
        {
            return TryParseDuration(text, out var duration)
                ? duration
                : throw new ConfigException($"{where}: must be a duration like 20s, 1m30s or 500ms, got '{text}'");
        }

        if (underlying.IsEnum)
        {
            var match = Enum.GetNames(underlying).FirstOrDefault(n => string.Equals(Kebab(n), text, StringComparison.OrdinalIgnoreCase));
            return match is not null
                ? Enum.Parse(underlying, match)
                : throw new ConfigException($"{where}: must be one of {string.Join(", ", Enum.GetNames(underlying).Select(Kebab))}, got '{text}'");
        }

        throw new InvalidOperationException($"SpecBinder cannot bind {type.Name} ({where})");
    }

    public static string Kebab(string pascal) => SnakeCase(pascal).Replace('_', '-');

    static string Scalar(YamlNode node, string where) =>
        node is YamlScalarNode scalar ? scalar.Value ?? "" : throw new ConfigException($"{where}: must be a single value, not a list or mapping");
}
