using System.CommandLine;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Transport.SgIo;
using Duplicator.Host.Configuration;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Commands;

/// <summary><c>duplicator drives</c> and <c>duplicator record</c>: one recorder at a time, the IMAPI way.</summary>
internal static class DriveCommands
{
    public static Command Drives()
    {
        var drive = new Option<string[]>("--drive") { Description = "recorder location (emulated:PROFILE?..., iscsi://..., /dev/sgN); default: the drives of the config", AllowMultipleArgumentsPerToken = false };
        var config = new Option<string>("--config") { Description = "tower config whose drives are listed when no --drive is given", DefaultValueFactory = _ => "config/duplicator.json" };
        var scan = new Option<string>("--scan-dir") { Description = "device folder scanned for sg/sr recorders when no --drive is given", DefaultValueFactory = _ => "/dev" };
        var history = new Option<bool>("--history") { Description = "show each drive's lifetime counts (good, bad, bytes, hours writing, underruns, last failures) from the running host named by --config" };
        var json = new Option<bool>("--json") { Description = "with --history: print JSON" };
        var cmd = new Command("drives", "list recorders: location, vendor, product, revision, current profile, media state; without --drive the Linux sg/sr recorders found and the config's drives") { drive, config, scan, history, json };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            if (parse.GetValue(history)) return DriveHistoryTable.Print(parse.GetValue(config)!, parse.GetValue(json), ct);
            var locations = parse.GetValue(drive) is { Length: > 0 } given ? given : Discovered(parse.GetValue(scan)!, parse.GetValue(config)!);
            foreach (var location in locations)
                ValidateLocation(location);
            int failures = 0;
            Console.WriteLine($"{"LOCATION",-40} {"VENDOR",-8} {"PRODUCT",-16} {"REV",-4} {"PROFILE",-9} MEDIA");
            foreach (var location in locations)
            {
                try
                {
                    using var r = RecorderLocator.Open(location);
                    var (vendor, product, revision) = r.DisplayNames;
                    var m = r.QueryMediaInfo();
                    string state = !m.Present ? "no medium"
                        : m.Flags.HasFlag(MediaFlags.Blank) ? $"blank, {m.FreeBlocks} free blocks"
                        : m.Flags.HasFlag(MediaFlags.Writable) ? $"appendable, {m.FreeBlocks} free blocks"
                        : "closed";
                    Console.WriteLine($"{location,-40} {vendor,-8} {product,-16} {revision,-4} {m.ProfileName,-9} {state}");
                }
                catch (ImapiException e)
                {
                    failures++;
                    Console.Error.WriteLine($"duplicator: {e.ImapiName}: {e.Message}");
                }
            }
            return failures == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return cmd;
    }

    // The MMC devices a scan of the device folder finds (one entry per drive, the sg node when there is one),
    // then the drives the config declares. A node that cannot be asked is named, not fatal: other users'
    // devices are often unreadable.
    private static string[] Discovered(string devDirectory, string configPath)
    {
        var found = LinuxDriveDiscovery.Scan(devDirectory);
        foreach (var d in found.Where(d => d.Error != null))
            Console.Error.WriteLine($"duplicator: {d.Path}: skipped, it did not answer INQUIRY: {d.Error}");
        IEnumerable<string> declared = [];
        if (File.Exists(configPath))
            declared = ConfigLoader.Load(configPath).Drives.Select(d => d.Url);
        else
            Console.Error.WriteLine($"duplicator: {configPath}: no config; listing the drives found in {devDirectory} only");
        return [.. found.Where(d => d.Error == null).Select(d => d.Path), .. declared];
    }

    public static Command Record()
    {
        var drive = new Option<string>("--drive") { Required = true, Description = "recorder location, e.g. emulated:dvd+r?dir=var/discs" };
        var image = new Option<string?>("--image") { Description = "an ISO image file to burn" };
        var folder = new Option<string?>("--folder") { Description = "a folder whose contents are staged (AddData) and burned" };
        var cue = new Option<string?>("--cue") { Description = "a BIN/CUE audio disc, recorded track-at-once with 2 s gaps (or as laid out in the CUE with --dao)" };
        var speed = new Option<int>("--speed") { Description = "write speed as a multiple of 1x; 0 = maximum" };
        var simulate = new Option<bool>("--simulate") { Description = "test write: the disc stays blank (CD-R/RW, DVD-R)" };
        var eject = new Option<bool>("--eject") { Description = "open the tray when done" };
        var verify = new Option<bool>("--verify") { Description = "read the disc back and compare its SHA-256 with the image" };
        var dao = new Option<bool>("--dao") { Description = "record the --cue audio disc disc-at-once (cue sheet, pregaps as in the CUE) instead of track-at-once" };
        var cmd = new Command("record", "burn one disc on one recorder, the IMAPI way") { drive, image, folder, cue, speed, simulate, eject, verify, dao };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            var sources = new[] { parse.GetValue(image), parse.GetValue(folder), parse.GetValue(cue) }.Count(s => s != null);
            if (sources != 1)
                throw new UsageException("give exactly one of --image, --folder or --cue");
            if (parse.GetValue(dao) && parse.GetValue(cue) is null)
                throw new UsageException("--dao records audio disc-at-once: it goes with --cue only");
            if (parse.GetValue(speed) < 0)
                throw new UsageException($"--speed {parse.GetValue(speed)}: a multiple of 1x, or 0 for the drive's maximum");
            foreach (var (value, name) in new[] { (parse.GetValue(image), "--image"), (parse.GetValue(folder), "--folder"), (parse.GetValue(cue), "--cue") })
                if (value != null) Cli.PathArgument(value, name);
            ValidateLocation(parse.GetValue(drive)!);
            using var recorder = RecorderLocator.Open(parse.GetValue(drive)!);
            var media = recorder.QueryMediaInfo();
            IDiscImage disc;
            if (parse.GetValue(folder) is { } dir)
            {
                var staging = new JolietStaging(media.Present && media.FreeBlocks > 0 ? Math.Max(64, media.FreeBlocks) : MediaCapacity.Sectors(MediaKind.Dvd));
                staging.AddData(dir, overwrite: false, cancellationToken: ct);
                disc = staging.Build();
            }
            else if (parse.GetValue(cue) is { } cueSheet)
            {
                disc = Duplicator.Mastering.Audio.CueSheetImage.Open(cueSheet);
            }
            else
            {
                disc = new ImageFile(parse.GetValue(image)!);
            }
            var progress = new ConsoleProgress();
            var options = new RecordOptions(parse.GetValue(simulate), parse.GetValue(eject), parse.GetValue(speed), parse.GetValue(verify),
                parse.GetValue(dao) ? AudioWriteMode.DiscAtOnce : AudioWriteMode.TrackAtOnce);
            recorder.Record(disc, options, progress, ct);
            Console.WriteLine($"{recorder.Path}: {disc.SectorCount} blocks recorded{(options.Simulate ? " (simulated)" : "")}{(options.Verify ? ", verified" : "")}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>A --drive value that does not parse is a usage error (exit 2), found before anything is opened.</summary>
    private static void ValidateLocation(string location)
    {
        try
        {
            RecorderLocator.Validate(location);
        }
        catch (ImapiException e)
        {
            throw new UsageException($"--drive: {e.Message}", e);
        }
    }

    /// <summary>Prints block progress on one line at most every 5%.</summary>
    private sealed class ConsoleProgress : IDiscMasterProgressEvents
    {
        private int _lastPercent = -1;

        public void NotifyBlockProgress(long completedBlocks, long totalBlocks)
        {
            int percent = totalBlocks == 0 ? 100 : (int)(completedBlocks * 100 / totalBlocks);
            if (percent / 5 == _lastPercent / 5) return;
            _lastPercent = percent;
            Console.Error.WriteLine($"writing: {percent}% ({completedBlocks}/{totalBlocks} blocks)");
        }

        public void NotifyClosingDisc(int estimatedSeconds) => Console.Error.WriteLine("closing the disc");
    }
}
