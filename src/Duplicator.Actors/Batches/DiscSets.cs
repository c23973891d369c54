using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Serialization;

namespace Duplicator.Actors.Batches;

/// <summary>
/// A batch that is one image of a disc set (<see cref="BatchSpec.Set"/>): member <paramref name="Index"/> (from 1) of
/// the <paramref name="Count"/> images of set job <paramref name="SetId"/>. Persisted in the member's
/// <see cref="BatchSubmitted"/>, so its ledger says by itself which set it belongs to, and part of the job: a batch under
/// a member's id that is not that member is another job (refused).
/// </summary>
public sealed record SetMember(string SetId, int Index, int Count);

/// <summary>One disc of one complete or incomplete set: member <paramref name="Member"/>'s disc <paramref name="Disc"/>.</summary>
/// <param name="Member">The member (image) index, from 1.</param>
/// <param name="BatchId">The member's batch id.</param>
/// <param name="Disc">The disc's number in the member's ledger.</param>
/// <param name="Drive">The drive that made it.</param>
/// <param name="Sha256">What it verified as.</param>
public sealed record SetDisc(int Member, string BatchId, int Disc, string Drive, string Sha256);

/// <summary>Set <paramref name="Number"/> of a set job: complete once it has a good disc of every image.</summary>
/// <param name="Number">From 1 to the copies wanted.</param>
/// <param name="Complete">Every member has a good disc for it.</param>
/// <param name="Discs">Its good discs so far, by member.</param>
public sealed record SetCopy(int Number, bool Complete, ImmutableArray<SetDisc> Discs);

/// <summary>A member of a set job and where its ledger stands.</summary>
public sealed record SetMemberStatus(string BatchId, BatchStatus Status);

/// <summary>Where a set job stands, derived from its members' ledgers (<see cref="DiscSets.Progress"/>).</summary>
/// <param name="SetId">The set job.</param>
/// <param name="Images">K, the images of a set.</param>
/// <param name="Copies">N, the complete sets wanted.</param>
/// <param name="Complete">Complete sets made.</param>
/// <param name="Status">running until every member completed; completed; failed or cancelled when a member did (a set without one of its images is no set).</param>
/// <param name="Members">Each member's batch id and its ledger status (<see cref="BatchStatus.New"/> for a member whose ledger holds no job yet).</param>
/// <param name="Sets">Every set, 1 to N.</param>
public sealed record SetProgress(string SetId, int Images, int Copies, int Complete, BatchStatus Status,
    ImmutableArray<SetMemberStatus> Members, ImmutableArray<SetCopy> Sets);

/// <summary>
/// Disc sets (issue 16): a job of K images burned as N complete sets, set i being one disc of each image. A set job is K
/// member batches, each an ordinary batch of N copies with its own ledger (exactly N good discs each, failed discs
/// made again as in any batch), tied by <see cref="SetMember"/>. The set ledger is derived, never stored twice: set i
/// holds the i-th good disc of each member in the order the member's ledger completed them, so a set's discs never
/// change once it has them, and it is counted complete only when every member has its disc. Pure.
/// </summary>
public static class DiscSets
{
    /// <summary>Fewest images in a set (one image is an ordinary job).</summary>
    public const int MinImages = 2;

    /// <summary>Most images in a set.</summary>
    public const int MaxImages = 16;

    /// <summary>What joins a set id and a member's index in the member's batch id. Not a character a job document's id may hold, so no single job ever takes a member's id; unreserved in URLs.</summary>
    public const char Separator = '~';

    /// <summary>Member <paramref name="index"/>'s batch id: <c>SET~k</c>.</summary>
    public static string MemberId(string setId, int index) => setId + Separator + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Longest set id whose member ids all fit <see cref="BatchIds.MaxLength"/> with <paramref name="images"/> members.</summary>
    public static int MaxSetIdLength(int images) => BatchIds.MaxLength - 1 - images.ToString(CultureInfo.InvariantCulture).Length;

    /// <summary>Why <paramref name="setId"/> with <paramref name="images"/> members cannot be a set job, naming the limit; null when it can.</summary>
    public static string? Refusal(string setId, int images)
    {
        if (images is < MinImages or > MaxImages)
            return $"set {BatchIds.Show(setId)}: {images} image(s); a set has {MinImages} to {MaxImages} images";
        if (BatchIds.Problem(setId) is { } bad) return $"set id: {bad}";
        if (setId.Contains(Separator)) return $"set id {BatchIds.Show(setId)} holds '{Separator}', which joins a set id to its members' numbers";
        if (setId.Length > MaxSetIdLength(images))
            return $"set id {BatchIds.Show(setId)} has {setId.Length} characters: its member ids ({BatchIds.Show(MemberId(setId, images))}) would pass the {BatchIds.MaxLength} characters of a batch id; a set of {images} images takes an id of at most {MaxSetIdLength(images)}";
        return null;
    }

    /// <summary>Why <paramref name="members"/> are not the members of one set job (ids, indexes, counts, copies), or null.</summary>
    public static string? Refusal(IReadOnlyList<BatchSpec> members)
    {
        if (members.Count == 0 || members[0].Set is not { } first) return "a set job needs its member batches, each naming the set";
        if (Refusal(first.SetId, members.Count) is { } bad) return bad;
        for (int k = 1; k <= members.Count; k++)
        {
            var m = members[k - 1];
            if (m.Set != new SetMember(first.SetId, k, members.Count) || m.BatchId != MemberId(first.SetId, k))
                return $"set {BatchIds.Show(first.SetId)}: member {k} is {BatchIds.Show(m.BatchId)} ({m.Set}), not {BatchIds.Show(MemberId(first.SetId, k))} of {members.Count}";
            if (m.Copies != members[0].Copies) return $"set {BatchIds.Show(first.SetId)}: member {k} wants {m.Copies} copies, member 1 {members[0].Copies}: every image is burned once per set";
        }
        return null;
    }

    /// <summary>
    /// A member's good discs in the order its ledger completed them (<see cref="DiscEntry.Completed"/>; a ledger
    /// written before that was kept falls back to disc numbers).
    /// </summary>
    public static ImmutableArray<DiscEntry> GoodInOrder(BatchState member) =>
        [.. member.Discs.Values.Where(d => d.State == DiscState.Completed && d.Sha256 != null).OrderBy(d => d.Completed ?? long.MaxValue).ThenBy(d => d.Disc)];

    /// <summary>
    /// The set ledger of set job <paramref name="setId"/> with <paramref name="copies"/> sets wanted, from its members'
    /// states in member order (a member not read yet: <see cref="BatchState.Empty"/>).
    /// </summary>
    public static SetProgress Progress(string setId, int copies, IReadOnlyList<BatchState> members)
    {
        var good = members.Select(GoodInOrder).ToArray();
        var sets = ImmutableArray.CreateBuilder<SetCopy>(copies);
        for (int i = 0; i < copies; i++)
        {
            var discs = good.Select((g, k) => i < g.Length ? new SetDisc(k + 1, MemberId(setId, k + 1), g[i].Disc, g[i].Drive, g[i].Sha256!) : null)
                .OfType<SetDisc>().ToImmutableArray();
            sets.Add(new SetCopy(i + 1, discs.Length == members.Count, discs));
        }
        var statuses = members.Select(m => m.Status).ToArray();
        var status = statuses.Contains(BatchStatus.Cancelled) ? BatchStatus.Cancelled
            : statuses.Contains(BatchStatus.Failed) ? BatchStatus.Failed
            : statuses.All(s => s == BatchStatus.Completed) ? BatchStatus.Completed
            : BatchStatus.Running;
        int complete = good.Length == 0 ? 0 : Math.Min(copies, good.Min(g => g.Length));
        return new SetProgress(setId, members.Count, copies, complete, status,
            [.. members.Select((m, k) => new SetMemberStatus(MemberId(setId, k + 1), m.Status))], sets.MoveToImmutable());
    }
}
