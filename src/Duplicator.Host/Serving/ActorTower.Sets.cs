using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Host.Jobs;

namespace Duplicator.Host.Serving;

/// <summary>Disc set jobs over the tower (<see cref="Tower.SubmitSet"/>); the set ledger is derived from the members' ledgers (<see cref="DiscSets.Progress"/>).</summary>
public sealed partial class ActorTower
{
    /// <summary>The member batches of a set job: member k is <c>SET~k</c>, each with the job's options and <c>set.count</c> copies.</summary>
    public static IReadOnlyList<BatchSpec> ToSpecs(string setId, JobRequest request, BatchDefaults defaults)
    {
        var set = request.Set ?? throw new ArgumentException("not a set job", nameof(request));
        return [.. set.Members.Select((m, i) => ToSpec(DiscSets.MemberId(setId, i + 1), m, defaults) with { Set = new SetMember(setId, i + 1, set.Members.Count) })];
    }

    /// <inheritdoc />
    public async Task<(SetView Set, bool Created)> SubmitSetAsync(string setId, JobRequest request, CancellationToken cancellationToken)
    {
        if (DiscSets.Refusal(setId, request.Set?.Members.Count ?? 0) is { } bad) throw new JobRejectedException("request", [$"id: {bad}"]);
        var specs = ToSpecs(setId, request, _defaults);
        return await Ask<Tower.SubmitReply>(new Tower.SubmitSet([.. specs]), "the set submission", cancellationToken) switch
        {
            Tower.SetSubmitted s => (await SetAsync(setId, cancellationToken) ?? throw new InvalidOperationException($"set {setId} was submitted but cannot be read"), s.Created),
            Tower.Rejected r => throw new JobRejectedException("request", [r.Reason]),
            var other => throw new InvalidOperationException($"the tower answered the set submission with {other.GetType().Name}"),
        };
    }

    /// <inheritdoc />
    public async Task<SetView?> SetAsync(string setId, CancellationToken cancellationToken)
    {
        var first = await Query<Tower.BatchAnswer>(new Tower.GetBatch(DiscSets.MemberId(setId, 1)), $"set {setId}", cancellationToken);
        if (first.State?.Spec?.Set is not { } set || set.SetId != setId) return null;
        var answers = new List<Tower.BatchAnswer> { first };
        for (int k = 2; k <= set.Count; k++)
            answers.Add(await Query<Tower.BatchAnswer>(new Tower.GetBatch(DiscSets.MemberId(setId, k)), $"set {setId}", cancellationToken));
        var states = answers.Select(a => a.State ?? BatchState.Empty).ToArray();
        var progress = DiscSets.Progress(setId, first.State.Spec.Copies, states);
        var drives = await DriveStatuses(cancellationToken);
        return new SetView(Summary(progress),
            [.. answers.Select((a, i) => View(Tower.BatchInfo.Of(DiscSets.MemberId(setId, i + 1), states[i], a.SubmittedAt) with { Paused = a.Paused }, drives))],
            [.. progress.Sets.Select(c => new SetCopyView(c.Number, c.Complete, [.. c.Discs.Select(d => new SetDiscView(d.Member, d.BatchId, d.Disc, d.Drive, d.Sha256))]))]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SetSummaryView>> SetsAsync(CancellationToken cancellationToken)
    {
        var list = await Query<Tower.BatchList>(Tower.GetBatches.Instance, "the list of batches", cancellationToken);
        // Lists come from the registry's summaries and live ledgers: the set's counts without reading finished ledgers again.
        return [.. list.Batches.Where(b => b.Spec?.Set != null).GroupBy(b => b.Spec!.Set!.SetId).Select(g =>
        {
            var set = g.First().Spec!.Set!;
            var members = Enumerable.Range(1, set.Count).Select(k => g.FirstOrDefault(b => b.Spec!.Set!.Index == k)).ToArray();
            var statuses = members.Select(m => m?.Status ?? BatchStatus.New).ToArray();
            var state = statuses.Contains(BatchStatus.Cancelled) ? BatchStatus.Cancelled : statuses.Contains(BatchStatus.Failed) ? BatchStatus.Failed
                : statuses.All(s => s == BatchStatus.Completed) ? BatchStatus.Completed : BatchStatus.Running;
            int copies = g.First().Spec!.Copies;
            return new SetSummaryView(set.SetId, state.ToString().ToLowerInvariant(), set.Count, copies, Math.Min(copies, members.Min(m => m?.Good ?? 0)),
                [.. Enumerable.Range(1, set.Count).Select(k => DiscSets.MemberId(set.SetId, k))]);
        })];
    }

    private static SetSummaryView Summary(SetProgress p) => new(p.SetId, p.Status.ToString().ToLowerInvariant(), p.Images, p.Copies, p.Complete,
        [.. p.Members.Select(m => m.BatchId)]);
}
