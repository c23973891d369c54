using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Akka.Actor;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Floor;

/// <summary>
/// Protocol of a floor of towers: one router (the tower core, <c>DuplicatorSupervisor</c>, run as a cluster singleton
/// with its own journal <see cref="PersistenceId"/>) whose drives are registered at run time by one
/// <c>FloorAgent</c> per tower (node). The agent starts its node's recorders, registers them (<see cref="Register"/>,
/// again every <see cref="AgentSettings.RegisterEvery"/> and whenever the router changes), forwards their reports to
/// the router, and makes a batch's image local before a recorder burns it (<see cref="Assign"/>: fetched by SHA-256
/// with an <see cref="IImageFetcher"/> from a tower that holds it, then staged on its own node). Drive ids are unique
/// floor-wide: a registration naming a drive another tower registered is refused, naming both towers. Every message
/// here crosses nodes.
/// </summary>
public static class Floor
{
    /// <summary>Persistence id of the floor router's registry (a standalone tower's is <see cref="Tower.PersistenceId"/>).</summary>
    public const string PersistenceId = "duplicator-floor";

    /// <summary>Persistence id of a tower's drive history on a floor: one per node, so two towers never write one journal.</summary>
    public static string DriveHistoryId(string towerId) => $"duplicator-drive-history-{towerId}";

    /// <summary>Most drives one tower may register.</summary>
    public const int MaxDrivesPerTower = 64;

    /// <summary>Most images one tower may say it holds.</summary>
    public const int MaxHeldImages = 256;

    /// <summary>How an agent runs.</summary>
    /// <param name="RegisterEvery">How often it registers again (a registration also tells it which router is current).</param>
    /// <param name="IdleStaging">How long a batch's local staging is kept after the last burn of that batch on this tower.</param>
    public sealed record AgentSettings(TimeSpan RegisterEvery, TimeSpan IdleStaging)
    {
        /// <summary>Every 2 s; local staging kept 60 s.</summary>
        public static AgentSettings Default { get; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60));
    }

    /// <summary>One drive of a tower as registered: its floor-wide id, its URL, and its recorder's latest report (null: none yet).</summary>
    public sealed record DriveInfo(string Id, string Url, Recorder.StatusChanged? Last);

    /// <summary>A staged image a tower holds in its stash, by content SHA-256 (upper-case hex, as the ledger keeps it).</summary>
    public sealed record HeldImage(string Sha256, long Bytes);

    /// <summary>
    /// An agent registers its tower (sender = the agent). Answer: <see cref="Registered"/> (sender = the router itself,
    /// which is how the agent learns which router is current) or <see cref="RegistrationRefused"/>.
    /// </summary>
    /// <param name="TowerId">The tower (node), 1-32 of <c>A-Z a-z 0-9 - _</c>.</param>
    /// <param name="Drives">Its drives, at most <see cref="MaxDrivesPerTower"/>.</param>
    /// <param name="ControlUrl">Its control API base URL (images are fetched from there), or null.</param>
    /// <param name="Held">The staged images it holds.</param>
    /// <param name="Late">Good discs of its drives no live router has counted (see <see cref="Late"/>), at most <see cref="MaxLate"/>:
    /// the router asks their ledgers before it hands these drives anything, so a late disc is counted before its remake starts.</param>
    public sealed record Register(string TowerId, ImmutableArray<DriveInfo> Drives, Uri? ControlUrl, ImmutableArray<HeldImage> Held,
        ImmutableArray<Recorder.DiscBurned> Late = default);

    /// <summary>Most late discs one registration may carry.</summary>
    public const int MaxLate = 256;

    /// <summary>The router took the registration.</summary>
    /// <param name="TowerId">The tower.</param>
    /// <param name="Drives">How many of its drives it registered.</param>
    /// <param name="FloorDrives">Every drive the router lists now, on every tower: the agent publishes them (<see cref="DrivesListed"/>)
    /// so its node's view forgets drives no router lists (a dead router's towers).</param>
    public sealed record Registered(string TowerId, int Drives, ImmutableArray<string> FloorDrives = default);

    /// <summary>
    /// The router to the agents not on its node: a change of the floor's view, published by the agent on its own node's
    /// event stream, so every tower's live console, metrics and event log follow the whole floor, not only the router's
    /// tower. Exactly one member is set. A batch's changes are sent at most every <see cref="ViewBatchEvery"/> (the last wins).
    /// </summary>
    public sealed record View(Tower.DriveChanged? Drive = null, Tower.DriveRemoved? Removed = null, Tower.BatchChanged? Batch = null,
        Recorder.ImapiEvent? Progress = null);

    /// <summary>How often at most a batch's change is sent to the other towers' agents (<see cref="View"/>).</summary>
    public static readonly TimeSpan ViewBatchEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>Published by an agent on its node at each registration: the drives the router lists (<see cref="Registered.FloorDrives"/>).</summary>
    public sealed record DrivesListed(ImmutableArray<string> DriveIds);

    /// <summary>The router refused it; nothing of it was registered.</summary>
    public sealed record RegistrationRefused(string TowerId, string Reason);

    /// <summary>
    /// The router hands drive <paramref name="DriveId"/> a disc (sender = the router). <paramref name="Burn"/> names the
    /// batch's image and staging on the router's node: when <paramref name="SameNode"/> the agent passes it on as it is
    /// (chunks stay in-process); otherwise it makes the image local first, fetching it from <paramref name="Sources"/>
    /// (control API URLs of towers that hold it, the router's own tower first) unless its stash holds a copy.
    /// </summary>
    /// <param name="DriveId">The drive.</param>
    /// <param name="Burn">The disc.</param>
    /// <param name="SameNode">Whether the burn's staging is on the agent's node and used as it is.</param>
    /// <param name="Sources">Where the image can be fetched.</param>
    /// <param name="Image">The batch's floor image as the ledger has it (its piece list's hash lets the fetch stream), or null.</param>
    public sealed record Assign(string DriveId, Recorder.Burn Burn, bool SameNode, ImmutableArray<Uri> Sources, Batches.FloorImage? Image = null);

    /// <summary>
    /// The host of the tower a batch was submitted to staged its image at <see cref="ImagePath"/> (sender waits for
    /// <see cref="HoldTaken"/>): the agent registers it at once as held (other towers fetch it from here) and keeps it
    /// until the router says the batch ended (<see cref="BatchEnded"/>).
    /// </summary>
    public sealed record Hold(string Sha256);

    /// <summary>The agent holds the image and has registered it.</summary>
    public sealed record HoldTaken(string Sha256);

    /// <summary>The host's submission that staged the image was refused: the agent lets its copy go unless a batch uses it.</summary>
    public sealed record Unhold(string Sha256);

    /// <summary>Why a floor does not run <paramref name="spec"/> (it runs data batches, a folder or an ISO image, of identical discs), or null.</summary>
    public static string? Refusal(Batches.BatchSpec spec) => FloorDrives.Refusal(spec);

    /// <summary>
    /// An agent to a new router: a disc of its drive came out good after the router that handed it out was gone (its
    /// report went to a dead router, or the burn ended after it was cancelled). The router counts it if the ledger still
    /// has it interrupted and the batch needs a disc (<see cref="Batches.CompleteDisc.Late"/>); else it is logged as a
    /// disc to set aside.
    /// </summary>
    public sealed record Late(Recorder.DiscBurned Burned);

    /// <summary>
    /// The router to every agent once a floor image's batch is logged: make the image local now (held, or fetched from
    /// <paramref name="Sources"/>), so the first disc handed to this tower does not wait for the fetch.
    /// </summary>
    /// <param name="BatchId">The batch.</param>
    /// <param name="Sha256">The image's content SHA-256.</param>
    /// <param name="Bytes">Its size.</param>
    /// <param name="Sources">Where it can be fetched.</param>
    /// <param name="Image">The floor image as the ledger has it (its piece list's hash lets the fetch stream), or null.</param>
    public sealed record Prefetch(string BatchId, string Sha256, long Bytes, ImmutableArray<Uri> Sources, Batches.FloorImage? Image = null);

    /// <summary>The router to every agent: a batch of a floor image ended; its local staging and copies may go.</summary>
    public sealed record BatchEnded(string BatchId, string Sha256);

    /// <summary>
    /// Where a tower keeps a floor image in its stash: <c>STASH/floor-images/sha256.iso</c> (lower case). The name is
    /// built from a hash checked to be 64 hex digits, never from anything else.
    /// </summary>
    public static string ImagePath(string stashDirectory, string sha256) =>
        Batches.FloorImage.IsSha256(sha256)
            ? Path.Combine(ImageFolder(stashDirectory), sha256.ToLowerInvariant() + ".iso")
            : throw new ArgumentException($"'{(sha256.Length > 70 ? sha256[..70] + "..." : sha256)}' is not a SHA-256 (64 hex digits)", nameof(sha256));

    /// <summary>The folder of a tower's stash that holds its floor images (<see cref="ImagePath"/>).</summary>
    public static string ImageFolder(string stashDirectory) => Path.Combine(stashDirectory, "floor-images");

    /// <summary>Props of the floor router: the tower core with drives registered at run time and its own journal.</summary>
    public static Props RouterProps(Tower.Settings settings) =>
        Akka.Actor.Props.Create(() => new DuplicatorSupervisor(ImmutableArray<Tower.DriveSpec>.Empty, settings, true));

    /// <summary>
    /// Props of a tower's agent: starts <paramref name="drives"/>' recorders on this node, registers them with
    /// <paramref name="router"/> (a cluster singleton proxy, or the router itself) and fetches images with
    /// <paramref name="fetcher"/>; <paramref name="controlUrl"/> is where other towers fetch images this one holds.
    /// </summary>
    public static Props AgentProps(string towerId, ImmutableArray<Tower.DriveSpec> drives, Tower.Settings settings, IActorRef router, IImageFetcher fetcher,
        Uri? controlUrl) => AgentProps(towerId, drives, settings, router, fetcher, controlUrl, AgentSettings.Default);

    /// <summary>As <see cref="AgentProps(string, ImmutableArray{Tower.DriveSpec}, Tower.Settings, IActorRef, IImageFetcher, Uri?)"/> with agent timing.</summary>
    public static Props AgentProps(string towerId, ImmutableArray<Tower.DriveSpec> drives, Tower.Settings settings, IActorRef router, IImageFetcher fetcher,
        Uri? controlUrl, AgentSettings agent)
    {
        if (!IsId(towerId)) throw new ArgumentException($"tower id '{towerId}' must be 1-32 letters, digits, '-' or '_'", nameof(towerId));
        return Akka.Actor.Props.Create(() => new FloorAgent(towerId, drives, settings, router, fetcher, controlUrl, agent));
    }

    /// <summary>Whether <paramref name="id"/> is a tower or drive id: 1-32 of <c>A-Z a-z 0-9 - _</c>.</summary>
    public static bool IsId(string? id) => id != null && Ids.IsMatch(id);

    private static readonly Regex Ids = new("^[A-Za-z0-9_-]{1,32}$", RegexOptions.CultureInvariant);
}
