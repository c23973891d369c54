namespace Duplicator.Drivers.Imapi;

/// <summary>
/// A drive (or transport) that counts buffer underruns since it was opened. MMC has no standard counter (a drive's
/// BURN-Free recovers silently), so only drives that know theirs implement it: the emulated recorder does.
/// </summary>
public interface IUnderrunCounter
{
    /// <summary>Underruns since the drive was opened, or null when this drive cannot tell.</summary>
    long? Underruns { get; }
}
