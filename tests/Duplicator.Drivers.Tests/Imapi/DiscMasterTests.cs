using Duplicator.Drivers.Imapi;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Imapi;

public sealed class DiscMasterTests : IDisposable
{
    private readonly string _src = Directory.CreateTempSubdirectory("dup-dm-").FullName;

    public DiscMasterTests() => File.WriteAllText(Path.Combine(_src, "a.txt"), "hello");

    public void Dispose() => Directory.Delete(_src, true);

    private sealed class FakeRecorder(string path, ImapiError? fail = null) : IDiscRecorder
    {
        public List<(IDiscImage Image, RecordOptions Options)> Burns { get; } = [];
        public bool Disposed;
        public string Path => path;
        public (string Vendor, string Product, string Revision) DisplayNames => ("FAKE", "RECORDER", "1.0");
        public MediaInfo QueryMediaInfo() => new(true, MediaFlags.Blank | MediaFlags.Writable, "DVD+R", 0, 1, 0, 2_295_104);
        public void Eject() { }
        public void Erase(bool full, IDiscMasterProgressEvents? progress = null, CancellationToken cancellationToken = default) { }
        public byte[]? Record(IDiscImage image, RecordOptions options, IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
        {
            progress.NotifyBlockProgress(image.SectorCount, image.SectorCount);
            if (fail is { } code) throw new ImapiException(code, $"{path}: scripted failure");
            Burns.Add((image, options));
            return null;
        }
        public void Dispose() => Disposed = true;
    }

    private sealed class Sink : IDiscMasterProgressEvents
    {
        public long Blocks;
        public List<ImapiError?> Completions { get; } = [];
        public void NotifyBlockProgress(long completedBlocks, long totalBlocks) => Blocks = completedBlocks;
        public void NotifyBurnComplete(ImapiError? error) => Completions.Add(error);
    }

    private static ImapiError Code(Action a) => Assert.Throws<ImapiException>(a).Code;

    [Fact]
    public void Every_call_needs_an_open_session_and_open_twice_is_AlreadyOpen()
    {
        using var dm = new DiscMaster(() => []);
        Assert.Equal(ImapiError.NotOpened, Code(() => dm.EnumDiscRecorders()));
        Assert.Equal(ImapiError.NotOpened, Code(() => dm.RecordDisc(false, false)));
        Assert.Equal(ImapiError.NotOpened, Code(() => _ = dm.Joliet));
        dm.Open();
        Assert.Equal(ImapiError.AlreadyOpen, Code(dm.Open));
        dm.Close();
        dm.Close(); // harmless
        Assert.Equal(ImapiError.NotOpened, Code(() => dm.ClearFormatContent()));
    }

    [Fact]
    public void Joliet_is_the_default_format_and_setting_a_format_clears_the_staging()
    {
        using var dm = new DiscMaster(() => [], MediaKind.Cd74, Path.Combine(_src, "stash"));
        dm.Open();
        Assert.Equal(DiscMasterFormat.Joliet, dm.ActiveFormat);
        Assert.Equal([DiscMasterFormat.Joliet, DiscMasterFormat.Redbook], dm.EnumDiscMasterFormats());
        dm.Joliet.AddData(_src, false);
        Assert.Equal(1, dm.Joliet.FileCount);
        dm.SetActiveDiscMasterFormat(DiscMasterFormat.Joliet);
        Assert.Equal(0, dm.Joliet.FileCount);
        Assert.Equal(ImapiError.WrongFormat, Code(() => _ = dm.Redbook));
    }

    [Fact]
    public void Red_Book_needs_cd_media_and_a_configured_audio_staging()
    {
        using var noAudio = new DiscMaster(() => []);
        noAudio.Open();
        Assert.Equal([DiscMasterFormat.Joliet], noAudio.EnumDiscMasterFormats());
        Assert.Equal(ImapiError.WrongFormat, Code(() => noAudio.SetActiveDiscMasterFormat(DiscMasterFormat.Redbook)));
        using var dvd = new DiscMaster(() => [], MediaKind.Dvd, Path.Combine(_src, "stash"));
        dvd.Open();
        Assert.Equal(ImapiError.MediumInvalidType, Code(() => dvd.SetActiveDiscMasterFormat(DiscMasterFormat.Redbook)));
    }

    [Fact]
    public void Audio_tracks_staged_through_the_disc_master_are_recorded_with_their_track_table()
    {
        var recorder = new FakeRecorder("emulated:cd-r");
        using var dm = new DiscMaster(() => [recorder], MediaKind.Cd80, Path.Combine(_src, "stash"));
        dm.Open();
        dm.SetActiveDiscMasterFormat(DiscMasterFormat.Redbook);
        Assert.Equal(ImapiError.WrongFormat, Code(() => _ = dm.Joliet));
        dm.SetActiveDiscRecorder(recorder);
        for (int t = 0; t < 2; t++)
        {
            dm.Redbook.CreateAudioTrack(300);
            dm.Redbook.AddAudioTrackBlocks(new byte[300 * 2352], dm.Progress);
            dm.Redbook.CloseAudioTrack();
        }
        dm.RecordDisc(false, false);
        var (image, _) = Assert.Single(recorder.Burns);
        Assert.Equal([150L, 600L], image.Tracks.Select(t => t.StartSector));
        Assert.Equal(0, dm.Redbook.TotalAudioTracks); // stash cleared after the burn
    }

    [Fact]
    public void RecordDisc_needs_a_recorder_and_content_then_burns_and_clears_the_stash()
    {
        var recorder = new FakeRecorder("emulated:dvd+r");
        var other = new FakeRecorder("emulated:bd-r");
        using var dm = new DiscMaster(() => [recorder, other]);
        dm.Open();
        var sink = new Sink();
        int cookie = dm.ProgressAdvise(sink);
        Assert.Equal(ImapiError.NoActiveRecorder, Code(() => dm.RecordDisc(false, false)));
        dm.SetActiveDiscRecorder(recorder);
        Assert.Equal(ImapiError.InvalidImage, Code(() => dm.RecordDisc(false, false)));
        dm.Joliet.AddData(_src, false, dm.Progress);
        dm.RecordDisc(simulate: false, ejectAfterBurn: true);
        var (image, options) = Assert.Single(recorder.Burns);
        Assert.True(options.EjectAfterBurn);
        Assert.Equal(image.SectorCount, sink.Blocks);
        Assert.Equal([null], sink.Completions);
        Assert.Equal(0, dm.Joliet.FileCount); // IMAPI clears the stash after a successful burn
        dm.ProgressUnadvise(cookie);
        dm.Close();
        Assert.True(recorder.Disposed && other.Disposed);
    }

    [Fact]
    public void A_failed_burn_reports_its_code_and_keeps_the_staging_for_a_retry()
    {
        var recorder = new FakeRecorder("emulated:dvd+r", ImapiError.CannotWriteToMedia);
        using var dm = new DiscMaster(() => [recorder]);
        dm.Open();
        var sink = new Sink();
        dm.ProgressAdvise(sink);
        dm.SetActiveDiscRecorder(dm.EnumDiscRecorders()[0]);
        dm.Joliet.AddData(_src, false);
        Assert.Equal(ImapiError.CannotWriteToMedia, Code(() => dm.RecordDisc(false, false)));
        Assert.Equal([ImapiError.CannotWriteToMedia], sink.Completions);
        Assert.Equal(1, dm.Joliet.FileCount);
    }

    [Fact]
    public void A_simulated_burn_keeps_the_staging_and_a_foreign_recorder_is_refused()
    {
        var recorder = new FakeRecorder("emulated:dvd+r");
        using var dm = new DiscMaster(() => [recorder]);
        dm.Open();
        Assert.Equal(ImapiError.DeviceNotPresent, Code(() => dm.SetActiveDiscRecorder(new FakeRecorder("elsewhere"))));
        dm.SetActiveDiscRecorder(recorder);
        dm.Joliet.AddData(_src, false);
        dm.RecordDisc(simulate: true, ejectAfterBurn: false);
        Assert.True(recorder.Burns[0].Options.Simulate);
        Assert.Equal(1, dm.Joliet.FileCount);
    }
}
