using System.Security.Cryptography;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Reading;
using Duplicator.Drivers.Tests.Iscsi;
using Duplicator.Drivers.Transport.Iscsi;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Reading;

/// <summary>The master reader against Linux tgt's MMC emulation over iSCSI: a drive nobody here wrote.</summary>
public sealed class DataDiscReaderTgtTests : IDisposable
{
    private readonly TgtTarget _tgt = new(drives: 1);
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-tgt-read-").FullName;

    public void Dispose()
    {
        _tgt.Dispose();
        Directory.Delete(_dir, true);
    }

    private sealed class NoEvents : IDiscMasterProgressEvents;

    [Fact]
    public void A_disc_the_tower_burned_on_tgts_DVD_plus_R_reads_back_equal_to_the_burned_image()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        var bytes = new byte[2_500_001];
        new Random(5).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), bytes);
        var staging = new JolietStaging(MediaKind.Dvd);
        staging.AddData(src, false);
        var image = staging.Build();
        var staged = new byte[image.SectorCount * 2048];
        image.Read(0, staged);

        using var drive = new MmcDevice(IscsiTransport.Connect(_tgt.Url(1)));
        DataDiscWriter.Burn(drive, image, new RecordOptions(), new NoEvents(), CancellationToken.None);

        var result = DataDiscReader.ReadTo(drive, Path.Combine(_dir, "out", "master.iso"));

        Assert.Equal(MmcProfile.DvdRom, result.Layout.Profile); // tgt turns a closed DVD+R into DVD-ROM
        Assert.Equal(image.SectorCount, result.Layout.Sectors);
        Assert.True(File.ReadAllBytes(result.Path).AsSpan().SequenceEqual(staged));
        Assert.Equal(SHA256.HashData(staged), result.Sha256);
    }
}
