namespace Workers.Core.Config;

public enum MigrateMode
{
    /// <summary>Only additive, lossless changes; anything else fails with a message.</summary>
    Safe,
    /// <summary>Drop and recreate a table whose change cannot be applied safely.</summary>
    Forced,
}
