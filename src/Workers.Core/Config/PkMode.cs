namespace Workers.Core.Config;

public enum PkMode
{
    /// <summary>Keep the source's primary keys.</summary>
    Default,
    /// <summary>Use <c>_cq_id</c> as the only primary key.</summary>
    CqIdOnly,
}
