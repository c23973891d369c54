namespace Duplicator.Host.Jobs;

public static partial class JobRequestParser
{
    /// <summary>Highest batch priority a job may ask for (0 is the lowest, 4 the default).</summary>
    public const int MaxPriority = 9;

    /// <summary>
    /// Whether <paramref name="key"/> is a key of <c>duplicator.job/2</c> only: null when it is not, else why a /1
    /// document (or one without a schema) cannot have it. One case per key, so schema additions merge as lines.
    /// </summary>
    private static string? Schema2Key(string key) => key switch
    {
        "priority" => $"needs \"schema\": \"{Schema2}\" (a {Schema} document has no priority)",
        _ => null,
    };
}
