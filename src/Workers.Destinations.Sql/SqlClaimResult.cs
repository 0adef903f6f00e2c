namespace Workers.Destinations.Sql;

/// <param name="Claimed">False: the batch id is applied already (or its sync is superseded): write nothing.</param>
/// <param name="MigratedBy">The sync id recorded by the table's last migration, as the database returns it.</param>
public sealed record SqlClaimResult(bool Claimed, object? MigratedBy);
