namespace Duplicator.Drivers.Mmc;

/// <summary>
/// Picks the write speed to ask a drive for, from the speeds it reports (GET PERFORMANCE type 03h, or
/// the descriptor table of mode page 2Ah). Pure: no drive involved.
/// </summary>
public static class WriteSpeedSelection
{
    /// <summary>
    /// A reported speed still counts as "not above" a request when it exceeds it by at most this
    /// fraction: drives round their kB/s (CD 48x is reported as 8467 or 8468, 1x being 176.4 kB/s), and
    /// some count CD 1x as 176, so an exact comparison would refuse the very speed that was asked for.
    /// </summary>
    public const double RoundingTolerance = 0.01;

    /// <summary>
    /// 1x in the kB/s (1000 bytes) of MMC speed fields: CD 176.4 (75 × 2352 bytes), DVD 1385, BD 4495.
    /// Unknown profiles count as CD, the slowest, so a request never turns into more than was meant.
    /// </summary>
    public static double OneXKBps(MmcProfile profile) => (ushort)profile switch
    {
        >= 0x0010 and <= 0x002B => 1385,
        >= 0x0040 and <= 0x0043 => 4495,
        _ => 176.4,
    };

    /// <summary>
    /// The speed, in kB/s, to select for a request of <paramref name="requestedMultiple"/> × 1x
    /// (0 or less = the fastest reported): the fastest reported speed not above the request, or the
    /// slowest reported one when all are above it. Null when nothing usable (no positive speed) was reported.
    /// </summary>
    public static int? Choose(int requestedMultiple, IEnumerable<int> reportedKBps, double oneXKBps)
    {
        ArgumentNullException.ThrowIfNull(reportedKBps);
        if (!(oneXKBps > 0)) throw new ArgumentOutOfRangeException(nameof(oneXKBps), oneXKBps, "1x must be a positive rate");
        int? fastest = null, slowest = null, best = null;
        double limit = requestedMultiple * oneXKBps * (1 + RoundingTolerance);
        foreach (var s in reportedKBps)
        {
            if (s <= 0) continue; // a zero or negative entry is a drive's filler, not a speed
            if (fastest is null || s > fastest) fastest = s;
            if (slowest is null || s < slowest) slowest = s;
            if (s <= limit && (best is null || s > best)) best = s;
        }
        if (fastest is null) return null;
        return requestedMultiple <= 0 ? fastest : best ?? slowest;
    }
}
