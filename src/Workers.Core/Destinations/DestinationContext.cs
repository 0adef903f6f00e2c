namespace Workers.Core.Destinations;

/// <summary>What a destination may know of its configuration besides its own spec.</summary>
/// <param name="Name">The destination's name (its queue is <c>workers.&lt;name&gt;</c>).</param>
/// <param name="Location">"file: document N (destination "x")", the prefix of every error about it.</param>
public sealed record DestinationContext(string Name, string Location);
