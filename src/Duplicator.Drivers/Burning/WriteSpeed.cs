using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Scsi;

namespace Duplicator.Drivers.Burning;

/// <summary>Where the speed a write strategy selected came from.</summary>
public enum WriteSpeedSource
{
    /// <summary>GET PERFORMANCE type 03h write speed descriptors.</summary>
    WriteSpeedDescriptors,
    /// <summary>The write speed descriptor table of mode page 2Ah.</summary>
    CapabilitiesPage,
    /// <summary>The drive reported no speeds: the request × 1x was sent as is.</summary>
    Requested,
    /// <summary>The drive reported no speeds and the maximum was requested: the drive's own choice stands.</summary>
    DriveDefault,
}

/// <summary>What <see cref="WriteSpeed.Apply"/> did.</summary>
/// <param name="KBps">The speed chosen, kB/s; null when the drive's default was left alone.</param>
/// <param name="Source">Where the choice came from.</param>
/// <param name="Command">The command that set it (SET CD SPEED or SET STREAMING); null when none was accepted or sent.</param>
/// <param name="Refusals">Commands the drive refused on the way (e.g. "GET PERFORMANCE: 05/24/00"); a refusal never fails the burn.</param>
public sealed record WriteSpeedOutcome(int? KBps, WriteSpeedSource Source, string? Command, IReadOnlyList<string> Refusals);

/// <summary>
/// Sets the write speed before a burn from what the drive says it supports: the speeds of GET PERFORMANCE
/// type 03h, else those of mode page 2Ah, chosen with <see cref="WriteSpeedSelection.Choose"/>; then SET CD
/// SPEED on CD, SET STREAMING (falling back to SET CD SPEED, which many DVD drives also take) on DVD and BD.
/// Speed is advice to the drive: any CHECK CONDITION or malformed answer on the way is recorded in the
/// outcome and the burn goes on at whatever speed the drive keeps. Transport failures still propagate.
/// </summary>
public static class WriteSpeed
{
    /// <summary>
    /// Chooses and sets the write speed for <paramref name="requestedMultiple"/> × 1x (0 = fastest) on a
    /// medium of <paramref name="profile"/> whose writable area ends at <paramref name="endLba"/>.
    /// </summary>
    public static WriteSpeedOutcome Apply(MmcDevice drive, MmcProfile profile, int requestedMultiple, long endLba)
    {
        ArgumentNullException.ThrowIfNull(drive);
        var refusals = new List<string>();
        double oneX = WriteSpeedSelection.OneXKBps(profile);

        IReadOnlyList<WriteSpeedDescriptor> descriptors = Try(refusals, "GET PERFORMANCE", () => drive.GetWriteSpeeds()) ?? [];
        var source = WriteSpeedSource.WriteSpeedDescriptors;
        int? chosen = WriteSpeedSelection.Choose(requestedMultiple, descriptors.Select(d => d.WriteKBps), oneX);
        if (chosen is null)
        {
            source = WriteSpeedSource.CapabilitiesPage;
            var page = Try(refusals, "MODE SENSE(10) page 2Ah", drive.ReadCapabilities);
            chosen = page is null ? null : WriteSpeedSelection.Choose(requestedMultiple, page.WriteSpeedsKBps, oneX);
        }
        if (chosen is null)
        {
            if (requestedMultiple <= 0)
            {
                // Nothing to choose from and no limit asked for: the drive's default is its fastest. A CD
                // drive is still told "maximum" (FFFFh), as it may keep a slower speed from an earlier burn.
                if (!MmcProfiles.IsCd(profile)) return new WriteSpeedOutcome(null, WriteSpeedSource.DriveDefault, null, refusals);
                bool ok = Try(refusals, "SET CD SPEED", () => { drive.SetCdSpeed(0xFFFF); return true; });
                return new WriteSpeedOutcome(null, WriteSpeedSource.DriveDefault, ok ? "SET CD SPEED" : null, refusals);
            }
            source = WriteSpeedSource.Requested;
            chosen = (int)Math.Round(requestedMultiple * oneX);
        }

        int kbps = chosen.Value;
        // The read speed going with the chosen write speed, when a descriptor names one.
        int read = descriptors.FirstOrDefault(d => d.WriteKBps == kbps && d.ReadKBps > 0)?.ReadKBps ?? kbps;
        string? command = null;
        if (!MmcProfiles.IsCd(profile)
            && Try(refusals, "SET STREAMING", () => { drive.SetStreaming(0, Math.Max(0, endLba), read, kbps); return true; }))
            command = "SET STREAMING";
        else if (Try(refusals, "SET CD SPEED", () => { drive.SetCdSpeed((ushort)Math.Min(kbps, 0xFFFE)); return true; }))
            command = "SET CD SPEED";
        return new WriteSpeedOutcome(kbps, source, command, refusals);
    }

    private static T? Try<T>(List<string> refusals, string what, Func<T> command)
    {
        try
        {
            return command();
        }
        catch (ScsiCommandException e)
        {
            refusals.Add($"{what}: {e.Sense?.Code ?? $"status {e.Status:X2}"}");
        }
        catch (InvalidDataException e)
        {
            refusals.Add($"{what}: {e.Message}");
        }
        return default;
    }
}
