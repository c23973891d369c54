namespace Duplicator.Mastering.Imapi;

/// <summary>
/// IMAPI's progress sink (IDiscMasterProgressEvents). Every method has a no-op default so a caller
/// implements only what it watches. Calls arrive on the thread doing the work; implementations must be
/// quick and must not block.
/// </summary>
public interface IDiscMasterProgressEvents
{
    /// <summary>Polled during AddData, AddAudioTrackBlocks and RecordDisc; return true to abort (UserAbort).</summary>
    bool QueryCancel() => false;

    /// <summary>The list of recorders changed.</summary>
    void NotifyPnPActivity() { }

    /// <summary>Staging progress: <paramref name="completedSteps"/> of <paramref name="totalSteps"/>.</summary>
    void NotifyAddProgress(long completedSteps, long totalSteps) { }

    /// <summary>Burn progress in blocks.</summary>
    void NotifyBlockProgress(long completedBlocks, long totalBlocks) { }

    /// <summary>Burn progress in tracks.</summary>
    void NotifyTrackProgress(int completedTracks, int totalTracks) { }

    /// <summary>The burn is being prepared; estimated seconds.</summary>
    void NotifyPreparingBurn(int estimatedSeconds) { }

    /// <summary>The disc is being closed; estimated seconds.</summary>
    void NotifyClosingDisc(int estimatedSeconds) { }

    /// <summary>
    /// Not in IMAPI (which has no verify): the burned disc is being read back, <paramref name="completedBlocks"/>
    /// of <paramref name="totalBlocks"/>.
    /// </summary>
    void NotifyVerifyProgress(long completedBlocks, long totalBlocks) { }

    /// <summary>The burn ended; <paramref name="error"/> is null on success.</summary>
    void NotifyBurnComplete(ImapiError? error) { }

    /// <summary>An erase ended; <paramref name="error"/> is null on success.</summary>
    void NotifyEraseComplete(ImapiError? error) { }
}
