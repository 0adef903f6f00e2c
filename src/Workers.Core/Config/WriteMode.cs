namespace Workers.Core.Config;

public enum WriteMode
{
    /// <summary>Upsert by primary key, then delete rows the sync did not touch (CloudQuery's default).</summary>
    OverwriteDeleteStale,
    /// <summary>Upsert by primary key.</summary>
    Overwrite,
    /// <summary>Insert every row; keys are ignored.</summary>
    Append,
}
