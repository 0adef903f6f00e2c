using System.Globalization;
using MySqlConnector;

namespace Workers.Destinations.MySql;

/// <summary>
/// Reads the <c>connection_string</c> forms a CloudQuery MySQL user writes: the Go driver's DSN
/// (<c>user:password@tcp(host:3306)/db?tls=preferred</c>, also <c>user:password@host:3306/db</c> and
/// <c>user:password@/db</c>) and MySqlConnector's own <c>Server=…;Database=…</c>. Errors name the part that is
/// wrong and never repeat the input, which holds the password.
/// </summary>
static class MySqlConnectionString
{
    /// <summary>The MySqlConnector settings for <paramref name="text"/>; throws <see cref="FormatException"/> with a reason free of secrets.</summary>
    public static MySqlConnectionStringBuilder Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = LooksLikeDsn(text) ? FromDsn(text)
            : text.Contains('=', StringComparison.Ordinal) ? FromKeywords(text)
            : throw new FormatException("neither a DSN (user:password@tcp(host:3306)/db) nor a MySqlConnector connection string (Server=…;Database=…)");
        // Bulk loads read from the client (LOAD DATA LOCAL INFILE); the server must allow it too.
        builder.AllowLoadLocalInfile = true;
        return builder;
    }

    /// <summary>A DSN has a '/' before its database and no '=' before that '/'; keyword strings have '=' first.</summary>
    static bool LooksLikeDsn(string text)
    {
        var slash = LastSlashBeforeQuery(text);
        if (slash < 0)
        {
            return false;
        }

        var head = text[..slash];
        var at = head.LastIndexOf('@');
        // The credentials may hold anything; only what follows them decides.
        var place = at < 0 ? head : head[(at + 1)..];
        return !place.Contains('=', StringComparison.Ordinal) && !place.Contains(';', StringComparison.Ordinal);
    }

    static int LastSlashBeforeQuery(string text)
    {
        var query = text.IndexOf('?', StringComparison.Ordinal);
        var head = query < 0 ? text : text[..query];
        // The address part may hold a unix socket path ("unix(/run/mysqld.sock)"): the database's slash is the last one outside parentheses.
        var depth = 0;
        var last = -1;
        for (var i = 0; i < head.Length; i++)
        {
            switch (head[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth = Math.Max(0, depth - 1);
                    break;
                case '/' when depth == 0:
                    last = i;
                    break;
            }
        }

        return last;
    }

    static MySqlConnectionStringBuilder FromKeywords(string text)
    {
        try
        {
            return new MySqlConnectionStringBuilder(text);
        }
        catch (ArgumentException ex)
        {
            // MySqlConnector's message names the keyword only (checked in the tests), never a value.
            throw new FormatException($"not a valid MySqlConnector connection string ({KeywordOf(ex)})", ex);
        }
    }

    static string KeywordOf(ArgumentException ex) =>
        ex.ParamName is { Length: > 0 } name && !name.Contains('=', StringComparison.Ordinal) ? $"keyword '{name}'" : "an unknown or malformed keyword";

    static MySqlConnectionStringBuilder FromDsn(string text)
    {
        var builder = new MySqlConnectionStringBuilder();
        var query = text.IndexOf('?', StringComparison.Ordinal);
        var head = query < 0 ? text : text[..query];
        var slash = LastSlashBeforeQuery(text);
        builder.Database = Unescape(head[(slash + 1)..], "database name");

        var before = head[..slash];
        var at = before.LastIndexOf('@');
        if (at >= 0)
        {
            var credentials = before[..at];
            var colon = credentials.IndexOf(':', StringComparison.Ordinal);
            builder.UserID = colon < 0 ? credentials : credentials[..colon];
            if (colon >= 0)
            {
                builder.Password = credentials[(colon + 1)..];
            }
        }

        ReadAddress(builder, at < 0 ? before : before[(at + 1)..]);
        if (query >= 0)
        {
            uint? commandTimeout = null;
            foreach (var pair in text[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var key = eq < 0 ? pair : pair[..eq];
                var value = eq < 0 ? "" : Unescape(pair[(eq + 1)..], $"parameter '{key}'");
                if (key is "readTimeout" or "writeTimeout")
                {
                    // One command timeout covers both directions in MySqlConnector; keep the longer one.
                    commandTimeout = Math.Max(commandTimeout ?? 0, checked((uint)Math.Ceiling(Duration(key, value).TotalSeconds)));
                    continue;
                }

                ApplyParameter(builder, key, value);
            }

            if (commandTimeout is { } seconds)
            {
                builder.DefaultCommandTimeout = seconds;
            }
        }

        return builder;
    }

    /// <summary><c>tcp(host:port)</c>, <c>unix(/path.sock)</c>, a bare <c>host:port</c>, or nothing (127.0.0.1:3306, as the Go driver).</summary>
    static void ReadAddress(MySqlConnectionStringBuilder builder, string place)
    {
        builder.Server = "127.0.0.1";
        builder.Port = 3306;
        if (place.Length == 0)
        {
            return;
        }

        var open = place.IndexOf('(', StringComparison.Ordinal);
        string protocol, address;
        if (open >= 0)
        {
            if (!place.EndsWith(')'))
            {
                throw new FormatException("the DSN's address is not closed: write tcp(host:port) or unix(/path/to.sock)");
            }

            protocol = place[..open];
            address = place[(open + 1)..^1];
        }
        else
        {
            // "user:pass@host:3306/db" (CloudQuery's docs show it) has no protocol: a host is meant.
            protocol = place is "tcp" or "unix" ? place : "tcp";
            address = place is "tcp" or "unix" ? "" : place;
        }

        switch (protocol)
        {
            case "tcp" or "tcp6" or "tcp4":
                if (address.Length == 0)
                {
                    return;
                }

                var (host, port) = SplitHostPort(address);
                builder.Server = host;
                if (port is not null)
                {
                    builder.Port = port.Value;
                }

                return;
            case "unix":
                builder.ConnectionProtocol = MySqlConnectionProtocol.UnixSocket;
                builder.Server = address.Length == 0 ? "/tmp/mysql.sock" : address;
                return;
            default:
                throw new FormatException($"the DSN's protocol '{protocol}' is not supported (tcp or unix)");
        }
    }

    static (string Host, uint? Port) SplitHostPort(string address)
    {
        // [::1]:3306 keeps its brackets out of the host name.
        if (address.StartsWith('['))
        {
            var close = address.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException("the DSN's IPv6 address has no closing ']'");
            }

            var rest = address[(close + 1)..];
            return (address[1..close], rest.StartsWith(':') ? Port(rest[1..]) : null);
        }

        var colon = address.LastIndexOf(':');
        return colon < 0 ? (address, null) : (address[..colon], Port(address[(colon + 1)..]));
    }

    static uint Port(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new FormatException("the DSN's port is not a number between 1 and 65535");

    /// <summary>The Go driver's parameters that mean something here; the rest are refused by name, never ignored.</summary>
    static void ApplyParameter(MySqlConnectionStringBuilder builder, string key, string value)
    {
        switch (key)
        {
            case "tls":
                builder.SslMode = value switch
                {
                    "true" => MySqlSslMode.VerifyFull,
                    "skip-verify" => MySqlSslMode.Required,
                    "preferred" => MySqlSslMode.Preferred,
                    "false" => MySqlSslMode.None,
                    _ => throw new FormatException($"DSN parameter tls: '{value}' is not one of true, false, skip-verify, preferred"),
                };
                break;
            case "timeout":
                builder.ConnectionTimeout = checked((uint)Math.Ceiling(Duration(key, value).TotalSeconds));
                break;
            case "charset":
                // The Go driver takes a comma-separated preference list; the first is the one asked for.
                builder.CharacterSet = value.Split(',')[0];
                break;
            case "collation" or "parseTime" or "loc" or "allowNativePasswords" or "allowCleartextPasswords" or "multiStatements"
                or "interpolateParams" or "columnsWithAlias" or "clientFoundRows" or "maxAllowedPacket" or "rejectReadOnly" or "checkConnLiveness"
                or "allowAllFiles":
                // These shape how the Go driver reads values or authenticates; the workers read and write typed values
                // themselves and MySqlConnector negotiates the same authentication plugins, so nothing changes.
                break;
            case "allowPublicKeyRetrieval":
                builder.AllowPublicKeyRetrieval = ParseBool(key, value);
                break;
            default:
                throw new FormatException($"DSN parameter '{key}' is not supported by workers");
        }
    }

    static bool ParseBool(string key, string value) => value switch
    {
        "true" or "1" or "" => true,
        "false" or "0" => false,
        _ => throw new FormatException($"DSN parameter {key}: '{value}' is not true or false"),
    };

    static TimeSpan Duration(string key, string value) =>
        Workers.Core.Config.SpecBinder.TryParseDuration(value, out var duration) && duration >= TimeSpan.Zero
            ? duration
            : throw new FormatException($"DSN parameter {key}: '{value}' is not a duration such as 30s or 1m");

    static string Unescape(string text, string what)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            throw new FormatException($"the DSN's {what} has a malformed %-escape");
        }
    }
}
