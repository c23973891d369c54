using System.Collections.Immutable;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Batches;

/// <summary>
/// Which loaded media a batch accepts, beyond blank (<see cref="BatchOptions.RejectIfNotBlank"/>) and big enough for
/// the image (always checked): only media of <paramref name="Profiles"/> (MMC profile names as drives report them,
/// "DVD+R", "BD-R", ...; compared ignoring case; empty: any), and only media of at least <paramref name="MinBlocks"/>
/// blocks of capacity (0: any). A refused medium fails its disc as the operator's to change (not the drive's fault),
/// with a message naming the drive, the profile and the rule.
/// </summary>
public sealed record MediaRules(ImmutableArray<string> Profiles, long MinBlocks = 0)
{
    /// <summary>Most profiles a rule may list.</summary>
    public const int MaxProfiles = 16;

    /// <summary>The profile names a rule may list (MMC-6 profiles this tower writes or reads), as <see cref="Duplicator.Drivers.Mmc.MmcProfiles.Name"/> spells them.</summary>
    public static ImmutableArray<string> KnownProfiles { get; } =
        ["CD-R", "CD-RW", "DVD-R", "DVD-RW", "DVD+R", "DVD+RW", "DVD+R DL", "BD-R", "BD-RE"];

    /// <summary>Why these rules are not valid, or null: known profiles (at most <see cref="MaxProfiles"/>), a capacity not negative.</summary>
    public string? Refusal()
    {
        var profiles = Profiles.IsDefault ? [] : Profiles;
        if (profiles.Length > MaxProfiles) return $"media profiles: {profiles.Length} listed, at most {MaxProfiles}";
        foreach (var p in profiles)
            if (!KnownProfiles.Contains(p, StringComparer.OrdinalIgnoreCase))
                return $"media profile '{p}' is not one of {string.Join(", ", KnownProfiles)}";
        return MinBlocks < 0 ? $"media minBlocks {MinBlocks}: 0 or more" : null;
    }

    /// <summary>
    /// Why <paramref name="drive"/>'s loaded medium <paramref name="info"/> is refused by these rules, in the operator's
    /// words ("drive-2: the loaded DVD-R is refused: this batch accepts only DVD+R, BD-R; load one of those"), or null.
    /// Capacity is what the medium holds in all: recorded blocks before the next writable address plus the free ones.
    /// </summary>
    public string? Refuse(string drive, MediaInfo info)
    {
        var profiles = Profiles.IsDefault ? [] : Profiles;
        if (profiles.Length > 0 && !profiles.Contains(info.ProfileName, StringComparer.OrdinalIgnoreCase))
            return $"{drive}: the loaded {info.ProfileName} is refused: this batch accepts only {string.Join(", ", profiles)}; load one of those";
        long capacity = info.FreeBlocks + Math.Max(0, info.NextWritable);
        if (MinBlocks > 0 && capacity < MinBlocks)
            return $"{drive}: the loaded {info.ProfileName} holds {capacity} blocks, this batch accepts only media of at least {MinBlocks} blocks; load a bigger one";
        return null;
    }

    /// <summary>The rules in the job document's words.</summary>
    public override string ToString() =>
        string.Join(", ", new[] { Profiles.IsDefaultOrEmpty ? null : "profiles " + string.Join("/", Profiles), MinBlocks > 0 ? $"at least {MinBlocks} blocks" : null }.Where(s => s != null));

    /// <summary>Same rules (profiles in order, ignoring case; the same capacity).</summary>
    public bool SameAs(MediaRules? other) =>
        other is not null && MinBlocks == other.MinBlocks
        && (Profiles.IsDefault ? [] : Profiles).SequenceEqual(other.Profiles.IsDefault ? [] : other.Profiles, StringComparer.OrdinalIgnoreCase);
}
