using System.Globalization;
using System.Text;
using Npgsql;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// Reads a PostgreSQL connection string in any of the forms a CloudQuery user writes — the libpq URI
/// (<c>postgres://user:pass@h1:5432,h2/db?sslmode=require&amp;search_path=s</c>), the libpq <c>key=value</c> string
/// (<c>user=u password='p w' host=h dbname=db</c>), both as CloudQuery's pgx reads them, and Npgsql's own
/// (<c>Host=h;Username=u;…</c>) — and writes Npgsql's (npgsql/npgsql#2090: Npgsql parses neither libpq form).
/// docs/configuration.md §6.2 has the table of what maps to what. Errors say which part is wrong by position or
/// by keyword and never repeat the input: it holds a password.
/// </summary>
static class PostgreSqlConnectionString
{
    /// <summary>Rewrites <paramref name="spec"/>'s connection string into Npgsql's form; the error (for the spec's validation) or null.</summary>
    public static string? Normalize(PostgreSqlSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.ConnectionString))
        {
            return null;
        }

        try
        {
            spec.ConnectionString = ToNpgsql(spec.ConnectionString);
            return null;
        }
        catch (FormatException ex)
        {
            return $"connection_string: {ex.Message}";
        }
    }

    /// <summary>The Npgsql connection string; throws <see cref="FormatException"/> with a message free of the input.</summary>
    public static string ToNpgsql(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return Build(FromUri(trimmed), "URI");
        }

        if (TryKeyValue(trimmed, out var pairs))
        {
            return Build(pairs, "key=value string");
        }

        return ValidateNpgsql(trimmed);
    }

    // postgres[ql]://[user[:password]@][host[:port][,host[:port]…]][/dbname][?key=value&…]
    static List<(string Key, string Value)> FromUri(string uri)
    {
        var pairs = new List<(string, string)>();
        var rest = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
        if (rest.Contains('#', StringComparison.Ordinal))
        {
            throw new FormatException("not a valid PostgreSQL URI: a '#' outside the query (percent-encode it as %23)");
        }

        var query = "";
        var questionMark = rest.IndexOf('?', StringComparison.Ordinal);
        if (questionMark >= 0)
        {
            query = rest[(questionMark + 1)..];
            rest = rest[..questionMark];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        var database = slash >= 0 ? rest[(slash + 1)..] : "";

        // The user info ends at the last '@' (pgx and libpq both take it so; an unencoded '@' in a password survives).
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Decode(colon >= 0 ? userInfo[..colon] : userInfo, "the user name", plusIsSpace: false);
            if (user.Length > 0)
            {
                pairs.Add(("user", user));
            }

            if (colon >= 0)
            {
                pairs.Add(("password", Decode(userInfo[(colon + 1)..], "the password", plusIsSpace: false)));
            }
        }

        if (authority.Length > 0)
        {
            var hosts = new List<string>();
            var ports = new List<string>();
            foreach (var item in authority.Split(','))
            {
                var (host, port) = SplitHostPort(item);
                hosts.Add(Decode(host, "a host", plusIsSpace: false));
                ports.Add(port);
            }

            pairs.Add(("host", string.Join(',', hosts)));
            if (ports.Any(p => p.Length > 0))
            {
                pairs.Add(("port", string.Join(',', ports)));
            }
        }

        if (database.Length > 0)
        {
            pairs.Add(("dbname", Decode(database, "the database name", plusIsSpace: false)));
        }

        var position = 0;
        foreach (var parameter in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            position++;
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"not a valid PostgreSQL URI: query parameter {position} is not key=value");
            }

            // pgx reads the query with Go's url.ParseQuery, where '+' is a space.
            pairs.Add((Decode(parameter[..equals], $"the name of query parameter {position}", plusIsSpace: true),
                Decode(parameter[(equals + 1)..], $"the value of query parameter {position}", plusIsSpace: true)));
        }

        return pairs;
    }

    static (string Host, string Port) SplitHostPort(string item)
    {
        if (item.StartsWith('['))
        {
            var close = item.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException("not a valid PostgreSQL URI: an IPv6 host without its closing ']'");
            }

            var after = item[(close + 1)..];
            return (item[1..close], after.StartsWith(':') ? after[1..] : after.Length == 0 ? "" : throw new FormatException("not a valid PostgreSQL URI: text after an IPv6 host's ']'"));
        }

        var colon = item.LastIndexOf(':');
        return colon >= 0 ? (item[..colon], item[(colon + 1)..]) : (item, "");
    }

    static string Decode(string text, string what, bool plusIsSpace)
    {
        if (plusIsSpace)
        {
            text = text.Replace('+', ' ');
        }

        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                continue;
            }

            if (i + 2 >= text.Length || !byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                throw new FormatException($"not a valid PostgreSQL URI: a '%' in {what} is not followed by two hex digits");
            }

            bytes.Add(b);
            i += 2;
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    // libpq's keyword/value form: pairs separated by white space, "key = value", a value in single quotes with
    // \' and \\ escapes. A ';' outside quotes makes it Npgsql's form, and so does a key libpq does not know when
    // Npgsql reads the whole string ("Host=h", "Server=h"); otherwise an unknown key is an error of this form.
    static bool TryKeyValue(string text, out List<(string Key, string Value)> pairs)
    {
        pairs = [];
        if (HasSemicolonOutsideQuotes(text))
        {
            return false;
        }

        var i = 0;
        var position = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                return pairs.Count > 0;
            }

            position++;
            var start = i;
            while (i < text.Length && text[i] != '=' && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var key = text[start..i];
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length || text[i] != '=')
            {
                if (position == 1 && !Keywords.Contains(key))
                {
                    return false;
                }

                throw new FormatException($"not a valid key=value connection string: item {position} has no '='");
            }

            if (!Keywords.Contains(key))
            {
                // One pair with a key libpq does not know ("Server=h") is Npgsql's; in a list of pairs it is a mistake.
                if (position == 1 && !text.Trim().Any(char.IsWhiteSpace) && NpgsqlReads(text))
                {
                    return false;
                }

                throw new FormatException($"key=value string: the key of item {position} is not a libpq keyword workers knows (see docs/configuration.md §6.2)");
            }

            i++;
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var value = new StringBuilder();
            if (i < text.Length && text[i] == '\'')
            {
                i++;
                var closed = false;
                while (i < text.Length)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        value.Append(text[i + 1]);
                        i += 2;
                    }
                    else if (text[i] == '\'')
                    {
                        closed = true;
                        i++;
                        break;
                    }
                    else
                    {
                        value.Append(text[i++]);
                    }
                }

                if (!closed)
                {
                    throw new FormatException($"not a valid key=value connection string: the quoted value of {key} (item {position}) has no closing quote");
                }
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    value.Append(text[i++]);
                }
            }

            pairs.Add((key, value.ToString()));
        }
    }

    static bool HasSemicolonOutsideQuotes(string text)
    {
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '\'':
                    quoted = !quoted;
                    break;
                case ';' when !quoted:
                    return true;
            }
        }

        return false;
    }

    static bool NpgsqlReads(string text)
    {
        try
        {
            ValidateNpgsql(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    // What libpq and pgx know (pgx: https://pkg.go.dev/github.com/jackc/pgx/v5/pgconn#ParseConfig), plus the
    // server settings CloudQuery users pass in the URI's query.
    static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode", "sslrootcert", "sslcert", "sslkey",
        "sslpassword", "sslsni", "application_name", "fallback_application_name", "connect_timeout", "target_session_attrs",
        "options", "search_path", "client_encoding", "timezone", "pool_max_conns", "pool_min_conns", "keepalives",
        "keepalives_idle", "service", "servicefile", "krbsrvname", "gssencmode", "channel_binding", "require_auth",
        "statement_cache_capacity", "description_cache_capacity", "default_query_exec_mode", "pool_max_conn_lifetime",
        "pool_max_conn_idle_time", "pool_health_check_period", "min_read_buffer_size",
    };

    // pgx settings that only tune pgx itself (its statement cache, its pool's clock): Npgsql manages those its own way.
    static readonly HashSet<string> PgxTuning = new(StringComparer.Ordinal)
    {
        "statement_cache_capacity", "description_cache_capacity", "default_query_exec_mode", "pool_max_conn_lifetime",
        "pool_max_conn_idle_time", "pool_health_check_period", "min_read_buffer_size",
    };

    static string Build(List<(string Key, string Value)> pairs, string form)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var options = new List<string>();
        foreach (var (key, value) in pairs)
        {
            if (!Keywords.Contains(key) && form == "URI")
            {
                // pgx sends any other query parameter to the server as a run-time setting; so do we.
                if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
                {
                    throw new FormatException($"{form}: a query parameter name is not a PostgreSQL setting name");
                }

                options.Add($"-c {key}={EscapeOption(value)}");
                continue;
            }

            values[key] = value;
        }

        var hosts = values.GetValueOrDefault("host") ?? values.GetValueOrDefault("hostaddr") ?? "";
        if (values.ContainsKey("host") && values.ContainsKey("hostaddr"))
        {
            throw new FormatException($"{form}: hostaddr together with host is not supported by workers (give the address as host)");
        }

        var (hostText, singlePort) = HostList(hosts, values.GetValueOrDefault("port"), form);
        builder.Host = hostText;
        if (singlePort is { } port)
        {
            builder.Port = port;
        }

        foreach (var (key, value) in values)
        {
            switch (key)
            {
                case "host" or "hostaddr" or "port":
                    break;
                case "dbname":
                    builder.Database = value;
                    break;
                case "user":
                    builder.Username = value;
                    break;
                case "password":
                    builder.Password = value;
                    break;
                case "passfile":
                    builder.Passfile = value;
                    break;
                case "sslmode":
                    builder.SslMode = value switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw new FormatException($"{form}: sslmode must be disable, allow, prefer, require, verify-ca or verify-full"),
                    };
                    break;
                case "sslrootcert":
                    builder.RootCertificate = value;
                    break;
                case "sslcert":
                    builder.SslCertificate = value;
                    break;
                case "sslkey":
                    builder.SslKey = value;
                    break;
                case "sslpassword":
                    builder.SslPassword = value;
                    break;
                case "application_name" or "fallback_application_name":
                    if (key == "application_name" || builder.ApplicationName is null)
                    {
                        builder.ApplicationName = value;
                    }

                    break;
                case "connect_timeout":
                    // Seconds, 0 = wait forever, in pgx and in Npgsql alike (Npgsql allows at most 1024).
                    builder.Timeout = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 1024
                        ? seconds
                        : throw new FormatException($"{form}: connect_timeout must be a number of seconds from 0 to 1024");
                    break;
                case "target_session_attrs":
                    builder.TargetSessionAttributes = value switch
                    {
                        "any" or "read-write" or "read-only" or "primary" or "standby" or "prefer-standby" => value,
                        _ => throw new FormatException($"{form}: target_session_attrs must be any, read-write, read-only, primary, standby or prefer-standby"),
                    };
                    break;
                case "search_path":
                    builder.SearchPath = value;
                    break;
                case "client_encoding":
                    builder.ClientEncoding = value;
                    break;
                case "timezone":
                    builder.Timezone = value;
                    break;
                case "options":
                    options.Insert(0, value);
                    break;
                case "pool_max_conns":
                    builder.MaxPoolSize = PositiveCount(value, key, form);
                    break;
                case "pool_min_conns":
                    builder.MinPoolSize = PositiveCount(value, key, form, allowZero: true);
                    break;
                case "keepalives":
                    if (value == "0")
                    {
                        builder.TcpKeepAlive = false;
                    }

                    break;
                case "keepalives_idle":
                    builder.TcpKeepAlive = true;
                    builder.TcpKeepAliveTime = PositiveCount(value, key, form);
                    break;
                case var tuning when PgxTuning.Contains(tuning):
                    break;
                default:
                    throw new FormatException($"{form}: {key} is not supported by workers");
            }
        }

        if (options.Count > 0)
        {
            builder.Options = string.Join(' ', options);
        }

        return builder.ConnectionString;
    }

    // libpq: host may be a comma list, port one value for all or one per host; a host starting with '/' is the
    // directory of a Unix-domain socket (Npgsql reads it the same way). No host at all means the local server.
    static (string Hosts, int? Port) HostList(string hosts, string? ports, string form)
    {
        var hostList = hosts.Length == 0 ? [""] : hosts.Split(',');
        var portList = string.IsNullOrEmpty(ports) ? [] : ports.Split(',');
        if (portList.Length > 1 && portList.Length != hostList.Length)
        {
            throw new FormatException($"{form}: {portList.Length} ports for {hostList.Length} hosts (give one port, or one per host)");
        }

        if (hostList.Length == 1)
        {
            var only = hostList[0].Length == 0 ? "localhost" : hostList[0];
            return (only, portList.Length == 0 ? null : Port(portList[0], 0, form));
        }

        var parts = new List<string>();
        for (var i = 0; i < hostList.Length; i++)
        {
            var host = hostList[i].Length == 0 ? "localhost" : hostList[i];
            var port = portList.Length == 0 ? "" : portList.Length == 1 ? portList[0] : portList[i];
            var bracketed = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('/') ? $"[{host}]" : host;
            parts.Add(port.Length == 0 ? bracketed : $"{bracketed}:{Port(port, i, form)}");
        }

        // Npgsql takes "host:port" items in a list (and Port for the items without one).
        return (string.Join(',', parts), null);
    }

    static int Port(string text, int index, string form) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535
            ? number
            : throw new FormatException($"{form}: port {index + 1} is not a TCP port (1-65535)");

    static int PositiveCount(string value, string key, string form, bool allowZero = false) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && (n > 0 || (allowZero && n == 0))
            ? n
            : throw new FormatException($"{form}: {key} must be a {(allowZero ? "non-negative" : "positive")} integer");

    // Npgsql's Options are split at white space, with '\' escaping.
    static string EscapeOption(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(" ", "\\ ", StringComparison.Ordinal);

    static string ValidateNpgsql(string text)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        System.Data.Common.DbConnectionStringBuilder raw;
        try
        {
            raw = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = text };
        }
        catch (ArgumentException)
        {
            throw new FormatException("not a PostgreSQL URI, a key=value string or an Npgsql connection string (Key=Value;Key=Value): it does not parse as any of them");
        }

        var position = 0;
        foreach (string key in raw.Keys)
        {
            position++;
            try
            {
                builder[key] = raw[key];
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                // Npgsql's message may repeat the value (or a password typed in the place of a keyword).
                var known = KnownNpgsqlKeyword(key);
                throw new FormatException(known is null
                    ? $"Npgsql connection string: item {position} has a keyword Npgsql does not know"
                    : $"Npgsql connection string: the value of {known} is not valid");
            }
        }

        return builder.ConnectionString;
    }

    static string? KnownNpgsqlKeyword(string key)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder();
            _ = builder.TryGetValue(key, out _);
            return builder.ContainsKey(key) ? key : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
