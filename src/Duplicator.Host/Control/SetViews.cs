namespace Duplicator.Host.Control;

/// <summary>A disc set job as lists show it (<c>GET /api/sets</c>, <c>duplicator status</c>).</summary>
/// <param name="Id">The set id; member k is batch <c>ID~k</c>.</param>
/// <param name="State">running, completed, failed or cancelled (failed or cancelled when a member is: a set lacking an image is no set).</param>
/// <param name="Images">K, the images of a set.</param>
/// <param name="Copies">N, the complete sets wanted.</param>
/// <param name="Complete">Complete sets made: each has a good disc of every image.</param>
/// <param name="Members">The member batch ids, in image order.</param>
public sealed record SetSummaryView(string Id, string State, int Images, int Copies, int Complete, IReadOnlyList<string> Members);

/// <summary>One disc of a set: member <paramref name="Member"/>'s (its batch <paramref name="BatchId"/>) disc <paramref name="Disc"/>.</summary>
public sealed record SetDiscView(int Member, string BatchId, int Disc, string Drive, string Sha256);

/// <summary>Set <paramref name="Number"/> of N: complete once it has a good disc of every image, and which discs those are.</summary>
public sealed record SetCopyView(int Number, bool Complete, IReadOnlyList<SetDiscView> Discs);

/// <summary>A disc set job with its set ledger (<c>GET /api/sets/{id}</c>): the summary, each member batch, each set and its discs.</summary>
public sealed record SetView(SetSummaryView Set, IReadOnlyList<BatchView> Members, IReadOnlyList<SetCopyView> Sets);
