using System.Data.Common;

namespace Workers.Destinations.Sql;

/// <summary>
/// Claiming one batch id: <see cref="Sql"/> inserts its ledger row unless the id is already there (or its sync
/// is superseded), affecting one row or none; <see cref="MigratedBySql"/> reads the table's last migration's
/// sync id, which tells whether the cached catalog is still the table's.
/// </summary>
public sealed record SqlClaim(DbConnection Connection, DbTransaction Transaction, string Sql, string MigratedBySql, Action<DbCommand> Bind);
