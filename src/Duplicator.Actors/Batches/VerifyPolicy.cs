using System.Text.Json.Serialization;
using Duplicator.Drivers.Burning;

namespace Duplicator.Actors.Batches;

/// <summary>How much of a disc is read back (IMAPI2's IMAPI_BURN_VERIFICATION_LEVEL). Persisted as "none", "quick", "full".</summary>
[JsonConverter(typeof(CamelCaseEnumConverter<VerifyMode>))]
public enum VerifyMode
{
    /// <summary>Not read back.</summary>
    None,
    /// <summary>Disc and track information, the last sector and a sample of sectors, compared with the staged image.</summary>
    Quick,
    /// <summary>Every sector, compared with the image's SHA-256.</summary>
    Full,
}

/// <summary>
/// Which discs of a batch are verified and how. A drive's discs of the batch are counted from 1 in the order they were
/// started (interrupted ones, which are made again, do not count). A disc is <em>sampled</em> when sampling is off
/// (<paramref name="Every"/> 0 and <paramref name="First"/> false: every disc), when it is the drive's first and
/// <paramref name="First"/> is set, or when its count is a multiple of <paramref name="Every"/>; a sampled disc gets
/// <paramref name="Mode"/>, the others none. After a disc of a drive fails its verification, every disc of that drive
/// is verified in full until <paramref name="EscalateUntilGood"/> discs of it came out good (0: no escalation).
/// </summary>
/// <param name="Mode">The level of a sampled disc.</param>
/// <param name="Every">Verify every N-th disc per drive (0: no every-N sampling).</param>
/// <param name="First">Verify each drive's first disc.</param>
/// <param name="EscalateUntilGood">Good discs after a failed verification before the drive goes back to sampling.</param>
public sealed record VerifyPolicy(VerifyMode Mode, int Every = 0, bool First = false, int EscalateUntilGood = 3)
{
    /// <summary>Most discs between two sampled ones, and most good discs an escalation may ask for.</summary>
    public const int MaxEvery = 10_000;

    /// <summary>The policy of a batch that only says verify or not (duplicator.job/1, ledgers before policies): every disc in full, or none.</summary>
    public static VerifyPolicy FromFlag(bool verify) => new(verify ? VerifyMode.Full : VerifyMode.None, EscalateUntilGood: 0);

    /// <summary>True when some discs may go unverified (sampling is on).</summary>
    [JsonIgnore]
    public bool Samples => Every > 0 || First;

    /// <summary>Why this policy is not valid, or null: Every and EscalateUntilGood 0..<see cref="MaxEvery"/>.</summary>
    public string? Refusal() =>
        !Enum.IsDefined(Mode) ? $"verify mode {(int)Mode} is not none, quick or full"
        : Every is < 0 or > MaxEvery ? $"verify every {Every}: 0 to {MaxEvery}"
        : EscalateUntilGood is < 0 or > MaxEvery ? $"verify escalateUntilGood {EscalateUntilGood}: 0 to {MaxEvery}"
        : null;

    /// <summary>The policy in the job document's words, e.g. "quick every 5, first, escalate until 3 good".</summary>
    public override string ToString()
    {
        var parts = new List<string> { Mode.ToString().ToLowerInvariant() };
        if (Every > 0) parts.Add($"every {Every}");
        if (First) parts.Add("first");
        if (Samples && EscalateUntilGood > 0) parts.Add($"escalate until {EscalateUntilGood} good");
        return string.Join(", ", parts);
    }
}

/// <summary>
/// The pure decision of which disc gets which verification, from the batch's own ledger: the discs a drive has made
/// so far, their verification and whether it failed. Deterministic, so a restart decides as before; the ledger keeps
/// what was chosen (<see cref="DiscStarted.Verify"/>).
/// </summary>
public static class VerifyPlan
{
    /// <summary>The verification of the next disc <paramref name="drive"/> starts under <paramref name="policy"/>, given the ledger <paramref name="discs"/>.</summary>
    public static VerifyMode Choose(VerifyPolicy policy, IEnumerable<DiscEntry> discs, string drive)
    {
        var mine = discs.Where(d => d.Drive == drive && d.State != DiscState.Interrupted).OrderBy(d => d.Disc).ToList();
        if (Escalated(policy, mine)) return VerifyMode.Full;
        if (!policy.Samples) return policy.Mode;
        int n = mine.Count + 1; // this disc's count on the drive
        bool sampled = (policy.First && n == 1) || (policy.Every > 0 && n % policy.Every == 0);
        return sampled ? policy.Mode : VerifyMode.None;
    }

    /// <summary>
    /// True while the drive's last failed verification is followed by fewer than EscalateUntilGood good discs.
    /// Only a sampling policy escalates (one that verifies every disc already does).
    /// </summary>
    public static bool Escalated(VerifyPolicy policy, IReadOnlyList<DiscEntry> driveDiscs)
    {
        if ((!policy.Samples && policy.Mode == VerifyMode.Full) || policy.EscalateUntilGood <= 0) return false;
        int lastFailed = -1;
        for (int i = 0; i < driveDiscs.Count; i++)
            if (driveDiscs[i].VerifyFailed) lastFailed = i;
        if (lastFailed < 0) return false;
        int good = driveDiscs.Skip(lastFailed + 1).Count(d => d.State == DiscState.Completed);
        return good < policy.EscalateUntilGood;
    }

    /// <summary>The drivers' level for a mode.</summary>
    public static VerificationLevel Level(VerifyMode mode) => mode switch
    {
        VerifyMode.Quick => VerificationLevel.Quick,
        VerifyMode.Full => VerificationLevel.Full,
        _ => VerificationLevel.None,
    };
}
