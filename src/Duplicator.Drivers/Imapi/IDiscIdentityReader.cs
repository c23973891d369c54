namespace Duplicator.Drivers.Imapi;

/// <summary>
/// A drive that can say what a pre-recorded disc is before a job reads or appends to it (PTBurn's CheckVolumeIDOnDisc
/// and CheckFileOnDisc): the volume ID and a file of the disc's last session (<see cref="Reading.DiscIdentityReader"/>).
/// </summary>
public interface IDiscIdentityReader
{
    /// <summary>
    /// Null when the loaded disc has <paramref name="volumeId"/> (if given; primary or Joliet, ignoring case) and
    /// <paramref name="file"/> (if given; a path on the disc), else why not, prefixed with <paramref name="where"/>.
    /// Throws an <see cref="Mastering.Imapi.ImapiException"/> when the disc holds nothing to check (blank, audio) or cannot be read.
    /// </summary>
    string? CheckIdentity(string? volumeId, string? file, string where, CancellationToken cancellationToken);
}
