namespace Duplicator.Host.Control;

/// <summary>
/// The tower's changes as the live front ends (the web console's event stream) hear them: a callback per change,
/// called on the thread that learned of it. A callback must not block (it runs on an actor's thread): it should
/// only mark that something is new, and do its work elsewhere.
/// </summary>
public interface ITowerFeed
{
    /// <summary>Calls <paramref name="changed"/> after each change of a drive or a batch until the result is disposed.</summary>
    IDisposable Subscribe(Action changed);

    /// <summary>What the console shows besides the views <see cref="ITower"/> gives: last failures, rate history, discs per hour.</summary>
    ConsoleExtras Extras();
}

/// <summary>The console's pictures and words that no <see cref="ITower"/> call gives.</summary>
/// <param name="LastFailures">Per drive, its last failed disc in words ("03/0C/00 write error at LBA 1200 on drive-2").</param>
/// <param name="RateStepSeconds">Seconds between two samples of <paramref name="Rates"/>.</param>
/// <param name="Rates">Per drive, its write rate (bytes/s) sampled every step, oldest first, at most the last few minutes.</param>
/// <param name="GoodPerBucket">Good discs per <paramref name="BucketMinutes"/>-minute bucket over the last hour, oldest first.</param>
/// <param name="BucketMinutes">Width of a bucket of <paramref name="GoodPerBucket"/>.</param>
/// <param name="GoodLastHour">Good discs made in the last 60 minutes: the tower's discs per hour.</param>
public sealed record ConsoleExtras(IReadOnlyDictionary<string, string> LastFailures, double RateStepSeconds,
    IReadOnlyDictionary<string, double[]> Rates, int[] GoodPerBucket, int BucketMinutes, int GoodLastHour)
{
    /// <summary>Nothing known yet.</summary>
    public static ConsoleExtras None { get; } = new(new Dictionary<string, string>(), 2, new Dictionary<string, double[]>(), new int[12], 5, 0);
}
