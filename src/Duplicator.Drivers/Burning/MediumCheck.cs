using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Burning;

/// <summary>The checks every write strategy makes before its first WRITE: ready, a medium it can use, and blank.</summary>
internal static class MediumCheck
{
    /// <summary>Waits for the drive, then returns the current profile if <paramref name="usable"/> accepts it and the medium is blank.</summary>
    public static MmcProfile RequireBlank(MmcDevice drive, Func<MmcProfile, bool> usable, string needs, CancellationToken cancellationToken)
    {
        drive.WaitUntilReady(TimeSpan.FromSeconds(30), cancellationToken);
        var profile = drive.CurrentProfile();
        if (profile == MmcProfile.None)
            throw new ImapiException(ImapiError.MediumNotPresent, $"{drive.Location}: no medium");
        if (!usable(profile))
            throw new ImapiException(ImapiError.MediumInvalidType, $"{drive.Location}: {needs}, the drive holds a {MmcProfiles.Name(profile)}");
        var disc = drive.ReadDiscInformation();
        if (disc.Status != DiscStatus.Blank)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the {MmcProfiles.Name(profile)} is not blank ({disc.Status.ToString().ToLowerInvariant()}, {disc.Sessions} session(s))");
        return profile;
    }
}
