namespace Duplicator.Mastering.Imapi;

/// <summary>
/// Error vocabulary borrowed from IMAPI v1 (IMAPI_E_*), plus the few this project needs beyond it.
/// Every failure the staging, driver and orchestration layers report to a caller carries one of these.
/// </summary>
public enum ImapiError
{
    /// <summary>The disc master session is not open (IMAPI_E_NOTOPENED).</summary>
    NotOpened,
    /// <summary>The disc master session is already open (IMAPI_E_ALREADYOPEN).</summary>
    AlreadyOpen,
    /// <summary>No format (Joliet data / Red Book audio) is active (IMAPI_E_NOACTIVEFORMAT).</summary>
    NoActiveFormat,
    /// <summary>No recorder is active (IMAPI_E_NOACTIVERECORDER).</summary>
    NoActiveRecorder,
    /// <summary>The operation does not fit the active format (IMAPI_E_WRONGFORMAT).</summary>
    WrongFormat,
    /// <summary>The staged image is not valid for recording (IMAPI_E_INVALIDIMAGE).</summary>
    InvalidImage,
    /// <summary>The caller cancelled through QueryCancel or a cancellation token (IMAPI_E_USERABORT).</summary>
    UserAbort,
    /// <summary>No medium in the drive (IMAPI_E_MEDIUM_NOTPRESENT).</summary>
    MediumNotPresent,
    /// <summary>The medium is of a type the operation cannot use (IMAPI_E_MEDIUM_INVALIDTYPE).</summary>
    MediumInvalidType,
    /// <summary>The medium is not the one expected, e.g. not blank (IMAPI_E_WRONGDISC).</summary>
    WrongDisc,
    /// <summary>The content does not fit the capacity (IMAPI_E_DISCFULL).</summary>
    DiscFull,
    /// <summary>The drive refused or failed a write (IMAPI_E_CANNOT_WRITE_TO_MEDIA).</summary>
    CannotWriteToMedia,
    /// <summary>The device cannot be opened or talked to (IMAPI_E_DEVICE_NOTACCESSIBLE).</summary>
    DeviceNotAccessible,
    /// <summary>The device is gone (IMAPI_E_DEVICE_NOTPRESENT).</summary>
    DeviceNotPresent,
    /// <summary>The device is held by another session (IMAPI_E_DEVICE_STILL_IN_USE).</summary>
    DeviceStillInUse,
    /// <summary>An audio track is open (IMAPI_E_TRACKOPEN).</summary>
    TrackOpen,
    /// <summary>No audio track is open (IMAPI_E_TRACKNOTOPEN).</summary>
    TrackNotOpen,
    /// <summary>A file of that name is already staged and overwrite is off (IMAPI_E_FILEEXISTS).</summary>
    FileExists,
    /// <summary>A name cannot be represented in Joliet under the chosen policy (IMAPI_E_BADJOLIETNAME).</summary>
    BadJolietName,
    /// <summary>The stash is used by another staging (IMAPI_E_STASHINUSE).</summary>
    StashInUse,
    /// <summary>The stash folder lacks room (IMAPI_E_NOTENOUGHDISKFORSTASH).</summary>
    NotEnoughDiskForStash,
    /// <summary>The drive's buffer ran dry during a write (IMAPI_E_LOSS_OF_STREAMING).</summary>
    LossOfStreaming,
    /// <summary>A source file changed (size or modification time) after it was staged; not in IMAPI.</summary>
    SourceChanged,
    /// <summary>A source file or folder is missing or unreadable; not in IMAPI.</summary>
    SourceUnreadable,
    /// <summary>An input file (WAV, CUE, ISO, job file) is malformed; not in IMAPI.</summary>
    InvalidInput,
    /// <summary>A source, or a symbolic link inside one, leads outside the folders the caller allows; not in IMAPI.</summary>
    SourceNotAllowed,
}

/// <summary>An IMAPI-style failure: a typed <see cref="Code"/> and a message naming the thing and the limit.</summary>
public class ImapiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImapiException(ImapiError code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    /// <summary>The IMAPI-style error code.</summary>
    public ImapiError Code { get; }

    /// <summary>The code in IMAPI's spelling, e.g. <c>IMAPI_E_DISCFULL</c>, for logs and CLI output.</summary>
    public string ImapiName => "IMAPI_E_" + Code.ToString().ToUpperInvariant();
}
