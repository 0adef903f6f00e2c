using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Workers.Destinations.Sql;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// The session staging tables of the merge: one temporary table per server session and table shape, created once
/// (<c>ON COMMIT DELETE ROWS</c>, so a commit empties it) and reused by every later merge on that session, instead
/// of a table created and dropped per message. Sessions are told apart by their backend process id; the pool keeps
/// them alive across messages because the dialect's connections skip the reset on close. Named after the table and
/// its declared columns, so that a migrated table gets a staging table of its new shape.
/// </summary>
sealed class StagingTables
{
    const int MaxRemembered = 10_000;

    readonly ConcurrentDictionary<(int Backend, string Staging), bool> _created = new();

    /// <summary>The staging table's name for <paramref name="live"/>'s current shape.</summary>
    public static string NameFor(LiveTable live)
    {
        ArgumentNullException.ThrowIfNull(live);
        var shape = new StringBuilder(live.Schema.Name);
        foreach (var (column, type) in live.DeclaredTypes.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            shape.Append('\n').Append(column).Append(' ').Append(type);
        }

        return HelperTables.Staging + "_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(shape.ToString())))[..16];
    }

    public bool Exists(int backend, string staging) => _created.ContainsKey((backend, staging));

    public void Created(int backend, string staging)
    {
        // Backends come and go with the pool's idle lifetime; a bound keeps the memory of dead ones small (forgetting
        // a live one costs one CREATE … IF NOT EXISTS that finds the table).
        if (_created.Count >= MaxRemembered)
        {
            _created.Clear();
        }

        _created[(backend, staging)] = true;
    }

    /// <summary>The session lost its temporary tables (a new backend behind a reused process id, or a DISCARD).</summary>
    public void Forget(int backend)
    {
        foreach (var key in _created.Keys.Where(k => k.Backend == backend))
        {
            _created.TryRemove(key, out _);
        }
    }
}
