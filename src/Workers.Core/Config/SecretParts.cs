using System.Text.RegularExpressions;

namespace Workers.Core.Config;

/// <summary>
/// The secrets inside a longer string: the password of a URI's user info (<c>postgres://u:PW@h/db</c>,
/// <c>amqp://u:PW@h</c>), and the values of password-like keys in the connection-string dialects we meet
/// (libpq <c>password=PW</c> or <c>password='P W'</c>, Npgsql/ADO.NET <c>Password=PW;</c> or <c>Password="P;W"</c>,
/// Azure <c>AccountKey=</c>, <c>SharedAccessSignature=</c> and a SAS's <c>sig=</c>). It errs on the side of
/// finding too much: a broken string still yields the candidates a reader would see as its password.
/// </summary>
static partial class SecretParts
{
    public static IEnumerable<string> Of(string value)
    {
        foreach (Match match in UserInfo().Matches(value))
        {
            yield return match.Groups["password"].Value;
        }

        foreach (Match match in KeyValue().Matches(value))
        {
            var raw = match.Groups["value"].Value;
            if (raw.Length >= 2 && raw[0] is '\'' or '"' && raw[^1] == raw[0])
            {
                var inner = raw[1..^1];
                yield return inner;
                yield return inner.Replace("\\'", "'", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal).Replace("\"\"", "\"", StringComparison.Ordinal);
            }
            else
            {
                yield return raw.TrimStart('\'', '"');

                // libpq ends an unquoted value at white space, Npgsql only at ';': both readings are candidates.
                var word = raw.Split([' ', '\t', '\n', '\r'], 2)[0].TrimStart('\'', '"');
                yield return word;
            }
        }
    }

    // scheme://user:password@ — the password may hold anything but '@', '/' and white space.
    [GeneratedRegex(@"[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:(?<password>[^@/\s]+)@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(
        @"(?<![A-Za-z_])(?:password|pwd|passwd|sslpassword|ssl\s*password|accountkey|sharedaccesssignature|sig|token|access_token|secret|api_key|apikey)\s*=\s*(?<value>'(?:[^'\\]|\\.)*'|""(?:[^""]|"""")*""|[^;&]+)",
        RegexOptions.IgnoreCase)]
    private static partial Regex KeyValue();
}
