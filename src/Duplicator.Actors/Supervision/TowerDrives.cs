using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Recorders;

namespace Duplicator.Actors.Supervision;

/// <summary>A drive of the tower: how it was configured, its recorder, its status as published, and whether a disc is being asked for it.</summary>
/// <param name="Spec">The drive's configuration.</param>
/// <param name="Recorder">Its recorder (the backoff supervisor above the <see cref="RecorderActor"/>).</param>
/// <param name="Status">What <see cref="Tower.GetDrives"/> and <see cref="Tower.DriveChanged"/> show.</param>
/// <param name="Assigning">A disc was asked of a ledger for it and not answered yet: it takes no other.</param>
internal sealed record DriveSlot(Tower.DriveSpec Spec, IActorRef Recorder, Tower.DriveStatus Status, bool Assigning);

/// <summary>
/// The tower's drives as an immutable value, the twin of <see cref="TowerBatches"/>: every change returns a new one,
/// nothing here sends a message. Whether a drive is quarantined is never kept apart from the registry: every change
/// goes through <see cref="Set"/>, which takes it from <see cref="TowerRegistry.Quarantined"/>, so a drive is shown out
/// of service exactly when the stored registry says so. The supervisor publishes the status it gets back.
/// </summary>
internal sealed record TowerDrives(ImmutableArray<string> Order, ImmutableDictionary<string, DriveSlot> Slots)
{
    /// <summary>No drives.</summary>
    public static TowerDrives Empty { get; } = new([], ImmutableDictionary<string, DriveSlot>.Empty);

    /// <summary>Whether the tower has drive <paramref name="id"/>.</summary>
    public bool Contains(string id) => Slots.ContainsKey(id);

    /// <summary>Drive <paramref name="id"/>, or null.</summary>
    public DriveSlot? Get(string id) => Slots.GetValueOrDefault(id);

    /// <summary>Every drive's status in configuration order.</summary>
    public Tower.DriveStatus[] Statuses => [.. Order.Select(id => Slots[id].Status)];

    /// <summary>The drives on a disc of <paramref name="batchId"/>.</summary>
    public IEnumerable<DriveSlot> On(string batchId) => Order.Select(id => Slots[id]).Where(d => d.Status.BatchId == batchId);

    /// <summary>Adds a drive that is opening, as the registry has it (quarantined or not); on a floor, of tower <paramref name="tower"/>.</summary>
    public TowerDrives Add(Tower.DriveSpec spec, IActorRef recorder, TowerRegistry registry, string? tower = null) =>
        new TowerDrives(Order.Contains(spec.Id) ? Order : Order.Add(spec.Id), Slots).Set(new DriveSlot(spec, recorder,
            new Tower.DriveStatus(spec.Id, spec.Url, DriveState.Opening, 0, 0, null, false, 0, null, null, null, 0, 0) { Tower = tower }, false), registry);

    /// <summary>The drives without drive <paramref name="id"/> (a floor's tower left or no longer names it); unchanged when there is none.</summary>
    public TowerDrives Remove(string id) => Slots.ContainsKey(id) ? new TowerDrives(Order.Remove(id), Slots.Remove(id)) : this;

    /// <summary>
    /// The drives with <paramref name="slot"/> stored, its quarantine taken from <paramref name="registry"/> (a drive
    /// that has just become quarantined shows why, unless its status already says something).
    /// </summary>
    public TowerDrives Set(DriveSlot slot, TowerRegistry registry)
    {
        bool quarantined = registry.Quarantined.TryGetValue(slot.Spec.Id, out var why);
        if (quarantined && !slot.Status.Quarantined) slot = slot with { Status = slot.Status with { Message = slot.Status.Message ?? why } };
        slot = slot with { Status = slot.Status with { Quarantined = quarantined, Held = registry.IsHeld(slot.Spec.Id, out _) } };
        return this with { Slots = Slots.SetItem(slot.Spec.Id, slot) };
    }

    /// <summary>Drives that may be given a disc now, in tower order: ready, not quarantined, not held, not being assigned one.</summary>
    public ImmutableArray<string> Ready(TowerRegistry registry) =>
    [
        .. Order.Select(id => Slots[id])
            .Where(d => d.Status.State == DriveState.Ready && !registry.Quarantined.ContainsKey(d.Spec.Id) && !registry.IsHeld(d.Spec.Id, out _) && !d.Assigning)
            .Select(d => d.Spec.Id),
    ];

    /// <summary>Marks drive <paramref name="id"/> as waiting for a ledger's answer (or no longer).</summary>
    public TowerDrives Assigning(string id, bool assigning) =>
        Slots.TryGetValue(id, out var d) ? this with { Slots = Slots.SetItem(id, d with { Assigning = assigning }) } : this;

    /// <summary>What a recorder reported, over the slot's status (the counters and quarantine are the tower's).</summary>
    public static DriveSlot Reported(DriveSlot d, Recorder.StatusChanged s) => d with
    {
        Status = d.Status with
        {
            State = s.State, Percent = s.Percent, BytesPerSecond = s.BytesPerSecond, EtaSeconds = s.EtaSeconds,
            BatchId = s.BatchId, Disc = s.Disc, Message = s.Message,
        },
    };

    /// <summary>The drive was handed disc <paramref name="disc"/> of <paramref name="batchId"/> (its recorder is told next).</summary>
    public static DriveSlot Starting(DriveSlot d, string batchId, int disc) =>
        d with { Status = d.Status with { State = DriveState.Checking, BatchId = batchId, Disc = disc, Percent = 0 } };

    /// <summary>A good disc: one more good, and the failures in a row start again.</summary>
    public static DriveSlot Burned(DriveSlot d) => d with { Status = d.Status with { ConsecutiveFailures = 0, Good = d.Status.Good + 1 } };

    /// <summary>
    /// A failed disc: one more bad, and one more in a row when the failure was the drive's own. Returns the slot and,
    /// when that makes <paramref name="quarantineAfter"/> in a row, why the drive is to be quarantined (null otherwise).
    /// </summary>
    public static (DriveSlot Slot, string? Quarantine) Failed(DriveSlot d, bool driveFault, string reason, int quarantineAfter)
    {
        var status = d.Status with { Bad = d.Status.Bad + 1 };
        if (driveFault) status = status with { ConsecutiveFailures = status.ConsecutiveFailures + 1 };
        string? quarantine = driveFault && TowerLogic.ShouldQuarantine(status.ConsecutiveFailures, quarantineAfter)
            ? $"{status.ConsecutiveFailures} failed discs in a row, the last: {reason}"
            : null;
        return (d with { Status = status }, quarantine);
    }

    /// <summary>The operator cleared the drive: its failure count starts again and the quarantine message goes.</summary>
    public static DriveSlot Cleared(DriveSlot d) => d with { Status = d.Status with { ConsecutiveFailures = 0, Message = null } };
}
