using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Imapi;

/// <summary>The formats a disc master can stage (EnumDiscMasterFormats).</summary>
public enum DiscMasterFormat
{
    /// <summary>ISO 9660 + Joliet data (IJolietDiscMaster), the default.</summary>
    Joliet,
    /// <summary>Red Book audio (IRedbookDiscMaster).</summary>
    Redbook,
}

/// <summary>
/// IMAPI's IDiscMaster for one active recorder at a time: Open / Close, formats, recorders, progress sinks,
/// staging through the active format, RecordDisc. Follows IMAPI's rules: every call but Open needs an open
/// session (NotOpened); Open twice is AlreadyOpen; Close discards un-burned staging and may be called twice;
/// setting the format clears the staged image; the stash is cleared after a successful RecordDisc.
/// Red Book audio is offered when a stash folder is given (audio blocks are staged on disk there).
/// </summary>
public sealed class DiscMaster : IDisposable
{
    private readonly Func<IReadOnlyList<IDiscRecorder>> _discover;
    private readonly MediaKind _media;
    private readonly string? _stashDirectory;
    private readonly Dictionary<int, IDiscMasterProgressEvents> _sinks = [];
    private int _nextCookie = 1;
    private bool _open;
    private IReadOnlyList<IDiscRecorder> _recorders = [];
    private JolietStaging? _joliet;
    private RedbookStaging? _redbook;

    /// <summary>Creates a disc master over the recorders <paramref name="discover"/> returns, staging for <paramref name="media"/>.</summary>
    public DiscMaster(Func<IReadOnlyList<IDiscRecorder>> discover, MediaKind media = MediaKind.Dvd, string? stashDirectory = null)
    {
        _discover = discover;
        _media = media;
        _stashDirectory = stashDirectory;
    }

    /// <summary>The staging of the active format, when Joliet.</summary>
    public JolietStaging Joliet => RequireOpen()._joliet ?? throw new ImapiException(ImapiError.WrongFormat, "the active format is Red Book audio, not Joliet data");

    /// <summary>The staging of the active format, when Red Book.</summary>
    public RedbookStaging Redbook => RequireOpen()._redbook ?? throw new ImapiException(ImapiError.WrongFormat, "the active format is Joliet data, not Red Book audio");

    /// <summary>The active format.</summary>
    public DiscMasterFormat ActiveFormat => RequireOpen()._redbook != null ? DiscMasterFormat.Redbook : DiscMasterFormat.Joliet;

    /// <summary>The active recorder, or null.</summary>
    public IDiscRecorder? ActiveRecorder { get; private set; }

    /// <summary>Opens the session (IDiscMaster::Open): discovers recorders, Joliet is the active format.</summary>
    public void Open()
    {
        if (_open) throw new ImapiException(ImapiError.AlreadyOpen, "the disc master is already open");
        _recorders = _discover();
        _joliet = new JolietStaging(_media);
        _redbook = null;
        ActiveRecorder = null;
        _open = true;
    }

    /// <summary>Closes the session; un-burned staging is lost. Closing twice is harmless.</summary>
    public void Close()
    {
        if (!_open) return;
        _open = false;
        _joliet = null;
        _redbook?.Dispose();
        _redbook = null;
        ActiveRecorder = null;
        foreach (var r in _recorders) r.Dispose();
        _recorders = [];
    }

    /// <inheritdoc />
    public void Dispose() => Close();

    /// <summary>The formats this disc master offers.</summary>
    public IReadOnlyList<DiscMasterFormat> EnumDiscMasterFormats()
    {
        RequireOpen();
        return _stashDirectory is null ? [DiscMasterFormat.Joliet] : [DiscMasterFormat.Joliet, DiscMasterFormat.Redbook];
    }

    /// <summary>Selects the active format; whatever was staged is cleared, as in IMAPI.</summary>
    public void SetActiveDiscMasterFormat(DiscMasterFormat format)
    {
        RequireOpen();
        _redbook?.Dispose();
        _redbook = null;
        _joliet = null;
        if (format == DiscMasterFormat.Joliet)
        {
            _joliet = new JolietStaging(_media);
        }
        else
        {
            if (_stashDirectory is null)
                throw new ImapiException(ImapiError.WrongFormat, "Red Book audio is not available in this disc master (no stash folder)");
            if (!MediaCapacity.IsCd(_media))
                throw new ImapiException(ImapiError.MediumInvalidType, $"Red Book audio needs CD media, this disc master stages for {MediaCapacity.Name(_media)}");
            _redbook = new RedbookStaging(_media, _stashDirectory);
        }
    }

    /// <summary>The recorders found at Open.</summary>
    public IReadOnlyList<IDiscRecorder> EnumDiscRecorders() => RequireOpen()._recorders;

    /// <summary>Selects the recorder RecordDisc burns on.</summary>
    public void SetActiveDiscRecorder(IDiscRecorder recorder)
    {
        RequireOpen();
        if (!_recorders.Contains(recorder))
            throw new ImapiException(ImapiError.DeviceNotPresent, $"{recorder.Path}: not one of the recorders this session enumerated");
        ActiveRecorder = recorder;
    }

    /// <summary>Registers a progress sink; returns the cookie for <see cref="ProgressUnadvise"/>.</summary>
    public int ProgressAdvise(IDiscMasterProgressEvents sink)
    {
        RequireOpen();
        int cookie = _nextCookie++;
        _sinks[cookie] = sink;
        return cookie;
    }

    /// <summary>Removes a progress sink.</summary>
    public void ProgressUnadvise(int cookie)
    {
        RequireOpen();
        _sinks.Remove(cookie);
    }

    /// <summary>The progress sink that fans out to every advised sink (pass it to AddData / AddAudioTrackBlocks).</summary>
    public IDiscMasterProgressEvents Progress => new FanOut(this);

    /// <summary>Clears the staged image of the active format (ClearFormatContent): no confirmation, no recovery.</summary>
    public void ClearFormatContent()
    {
        RequireOpen();
        _joliet?.Clear();
        _redbook?.Clear();
    }

    /// <summary>
    /// Burns the staged image on the active recorder and blocks until done (IDiscMaster::RecordDisc).
    /// On success the staging is cleared, as IMAPI clears its stash; on failure it is kept for a retry.
    /// </summary>
    public void RecordDisc(bool simulate, bool ejectAfterBurn, CancellationToken cancellationToken = default) =>
        RecordDisc(new RecordOptions(simulate, ejectAfterBurn), cancellationToken);

    /// <summary>RecordDisc with speed and verification options.</summary>
    public void RecordDisc(RecordOptions options, CancellationToken cancellationToken = default)
    {
        RequireOpen();
        var recorder = ActiveRecorder ?? throw new ImapiException(ImapiError.NoActiveRecorder, "no active recorder: call SetActiveDiscRecorder first");
        if (_redbook == null && _joliet!.FileCount == 0)
            throw new ImapiException(ImapiError.InvalidImage, "nothing is staged: AddData first");
        IDiscImage image = _redbook != null ? _redbook.Build() : _joliet!.Build();
        var progress = Progress;
        try
        {
            recorder.Record(image, options, progress, cancellationToken);
        }
        catch (ImapiException e)
        {
            progress.NotifyBurnComplete(e.Code);
            throw;
        }
        progress.NotifyBurnComplete(null);
        if (!options.Simulate) ClearFormatContent();
    }

    private DiscMaster RequireOpen()
    {
        if (!_open) throw new ImapiException(ImapiError.NotOpened, "the disc master is not open: call Open first");
        return this;
    }

    private sealed class FanOut(DiscMaster master) : IDiscMasterProgressEvents
    {
        private IEnumerable<IDiscMasterProgressEvents> Sinks => master._sinks.Values.ToArray();
        public bool QueryCancel() => Sinks.Any(s => s.QueryCancel());
        public void NotifyPnPActivity() { foreach (var s in Sinks) s.NotifyPnPActivity(); }
        public void NotifyAddProgress(long completedSteps, long totalSteps) { foreach (var s in Sinks) s.NotifyAddProgress(completedSteps, totalSteps); }
        public void NotifyBlockProgress(long completedBlocks, long totalBlocks) { foreach (var s in Sinks) s.NotifyBlockProgress(completedBlocks, totalBlocks); }
        public void NotifyTrackProgress(int completedTracks, int totalTracks) { foreach (var s in Sinks) s.NotifyTrackProgress(completedTracks, totalTracks); }
        public void NotifyPreparingBurn(int estimatedSeconds) { foreach (var s in Sinks) s.NotifyPreparingBurn(estimatedSeconds); }
        public void NotifyClosingDisc(int estimatedSeconds) { foreach (var s in Sinks) s.NotifyClosingDisc(estimatedSeconds); }
        public void NotifyBurnComplete(ImapiError? error) { foreach (var s in Sinks) s.NotifyBurnComplete(error); }
        public void NotifyEraseComplete(ImapiError? error) { foreach (var s in Sinks) s.NotifyEraseComplete(error); }
    }
}
