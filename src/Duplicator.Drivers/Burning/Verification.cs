using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Burning;

/// <summary>How much of a burned disc is read back (IMAPI2's IMAPI_BURN_VERIFICATION_LEVEL: NONE, QUICK, FULL).</summary>
public enum VerificationLevel
{
    /// <summary>Not read back.</summary>
    None,
    /// <summary>Disc and track information, the first and last sectors and an even sample of the rest, compared with the image (<see cref="QuickVerify"/>).</summary>
    Quick,
    /// <summary>Every sector read back and its SHA-256 compared with the image's.</summary>
    Full,
}

/// <summary>
/// A disc failed while being read back: its content differs from the image, or the drive could not read it. Wraps the
/// drive's own error (<see cref="Exception.InnerException"/>, e.g. a <see cref="Scsi.ScsiCommandException"/> with its
/// sense) so a caller can tell a failed verification from a failed write, and still keep the codes.
/// </summary>
public sealed class VerificationException(ImapiError code, string message, Exception? inner = null) : ImapiException(code, message, inner)
{
    /// <summary>Runs a read-back; any failure but a cancellation comes out as a <see cref="VerificationException"/>.</summary>
    public static T Run<T>(string location, Func<T> readBack)
    {
        try
        {
            return readBack();
        }
        catch (Exception e) when (e is not (VerificationException or OperationCanceledException) && e is not ImapiException { Code: ImapiError.UserAbort })
        {
            throw new VerificationException(e is ImapiException ie ? ie.Code : ImapiError.CannotWriteToMedia,
                e.Message.Contains("verification failed", StringComparison.Ordinal) ? e.Message : $"{location}: verification failed: {e.Message}", e);
        }
    }
}

/// <summary>
/// An image whose sectors can be read again in any order after it was streamed once (a fanned-out image reads them
/// from its stash), so a quick verification can compare sampled sectors without holding the image.
/// </summary>
public interface IRereadableImage
{
    /// <summary>Reads sectors from <paramref name="firstSector"/> into <paramref name="destination"/> (whole sectors), again.</summary>
    void Reread(long firstSector, Span<byte> destination);
}
