using System.CommandLine;
using System.Text.Json;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Duplicator.Host.Commands;

/// <summary>
/// <c>duplicator burn (--image X.iso | --folder DIR | --audio WAV...) --copies N [--verify] [--drives A,B] [--wait]</c>:
/// submits a batch to the running host named by the config; when none answers, runs the tower in this process
/// (and then always waits, since the burning happens here). With --wait the exit code is 0 only when the batch
/// ends with its N good discs.
/// </summary>
internal static class BurnCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "the tower's config file", DefaultValueFactory = _ => "config/duplicator.json" };
        var image = new Option<string?>("--image") { Description = "an ISO image to burn as is" };
        var folder = new Option<string?>("--folder") { Description = "a folder whose contents become the disc's root" };
        var audio = new Option<string[]>("--audio") { Description = "WAV files, one audio track each", AllowMultipleArgumentsPerToken = true };
        var copies = new Option<int>("--copies") { Description = "good discs wanted", Required = true };
        var verify = new Option<bool?>("--verify") { Description = "read every disc back and compare (default: the config's)" };
        var drives = new Option<string?>("--drives") { Description = "comma-separated drive ids to use (default: all)" };
        var wait = new Option<bool>("--wait") { Description = "wait until the batch ends; exit 0 only with all good discs" };
        var id = new Option<string?>("--id") { Description = "batch id (resubmitting an id returns that batch)" };
        var volume = new Option<string?>("--volume") { Description = "volume name of a folder image" };
        var media = new Option<string?>("--media") { Description = "cd74, cd80, dvd, dvd-dl, bd25, bd50" };
        var perDisc = new Option<string?>("--per-disc") { Description = "a JSON file holding a job's perDisc section: serial-numbered discs (docs/jobs.md)" };
        var fileSystem = new Option<string?>("--filesystem") { Description = "a folder's file systems: joliet, udf-bridge, udf, dvd-video (default: joliet for CD, udf-bridge for DVD, udf for BD)" };
        var cmd = new Command("burn", "burn N good copies of an image on the tower") { config, image, folder, audio, copies, verify, drives, wait, id, volume, media, perDisc, fileSystem };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            // The command line first (its mistakes are usage errors), then the config.
            var job = JobJson(parse.GetValue(id), parse.GetValue(image), parse.GetValue(folder), parse.GetValue(audio) ?? [], parse.GetValue(copies),
                parse.GetValue(verify), parse.GetValue(drives), parse.GetValue(volume), parse.GetValue(media), parse.GetValue(perDisc), parse.GetValue(fileSystem));
            var tower = ConfigLoader.Load(parse.GetValue(config)!);
            using var client = new ControlClient(tower.Control.Listen, tower.Control.Token);
            if (client.IsRunningAsync(ct).GetAwaiter().GetResult())
            {
                var batch = client.SubmitAsync(job, ct).GetAwaiter().GetResult();
                Console.Error.WriteLine($"duplicator: batch {batch.Id} submitted to the host at {tower.Control.Listen} ({batch.Copies} copies)");
                if (!parse.GetValue(wait)) return ExitCodes.Ok;
                return Follow(batch.Id, c => client.BatchAsync(batch.Id, c).GetAwaiter().GetResult(), c => client.DrivesAsync(c).GetAwaiter().GetResult(), ct);
            }
            return InProcess(tower, job, ct);
        }));
        return cmd;
    }

    /// <summary>The job document for the command line (paths made absolute against the working directory).</summary>
    internal static string JobJson(string? id, string? image, string? folder, string[] audio, int copies, bool? verify, string? drives, string? volume, string? media,
        string? perDisc = null, string? fileSystem = null)
    {
        int sources = (image is null ? 0 : 1) + (folder is null ? 0 : 1) + (audio.Length == 0 ? 0 : 1);
        if (sources != 1)
            throw new ImapiException(ImapiError.InvalidInput, "burn: give exactly one of --image, --folder or --audio");
        if (image != null) Cli.PathArgument(image, "--image");
        if (folder != null) Cli.PathArgument(folder, "--folder");
        foreach (var wav in audio) Cli.PathArgument(wav, "--audio");
        var doc = new Dictionary<string, object?> { ["schema"] = JobRequestParser.Schema, ["copies"] = copies };
        if (id != null) doc["id"] = id;
        if (image != null) doc["image"] = Path.GetFullPath(image);
        if (folder != null) doc["folder"] = Path.GetFullPath(folder);
        if (audio.Length > 0) doc["audio"] = audio.Select(Path.GetFullPath).ToArray();
        if (verify != null) doc["verify"] = verify;
        if (drives != null) doc["drives"] = drives.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (volume != null) doc["volume"] = volume;
        if (media != null) doc["media"] = media;
        if (perDisc != null) doc["perDisc"] = PerDiscFile.Read(Cli.PathArgument(perDisc, "--per-disc"));
        if (fileSystem != null) doc["filesystem"] = CheckFileSystem(fileSystem, folder != null, media);
        return JsonSerializer.Serialize(doc);
    }

    // Mistakes of the command line itself are usage errors (exit 2), as with master's --filesystem; the job parser checks again.
    private static string CheckFileSystem(string text, bool folder, string? media)
    {
        if (!FileSystemNames.TryParse(text, out var fs))
            throw new UsageException($"--filesystem {text}: not one of {FileSystemNames.Listed}");
        if (!folder)
            throw new UsageException($"--filesystem {text}: only with --folder (an image is burned as it is, audio is Red Book)");
        var kind = MediaKind.Dvd; // what a folder is staged for without --media
        if (media != null && MediaCapacity.TryParse(media, out var given)) kind = given; // a bad --media is the job parser's to name
        if (FileSystemNames.Refusal(fs, kind) is { } why)
            throw new UsageException($"--filesystem {text} with --media {MediaCapacity.Name(kind)}: {why}");
        return text;
    }

    internal static int InProcess(TowerConfig config, string job, CancellationToken ct)
    {
        Console.Error.WriteLine($"duplicator: no host answers at {config.Control.Listen}; running the tower in this process");
        // The operator's own files: no allowed-roots restriction (that guards requests from the network).
        var request = JobRequestParser.Parse(job, "command line", Environment.CurrentDirectory, ["/"]);
        using var host = TowerRuntime.Build(config with { LogLevel = "Warning" }, frontEnds: false);
        host.StartAsync(ct).GetAwaiter().GetResult();
        try
        {
            var tower = host.Services.GetRequiredService<TowerService>().Tower.GetAwaiter().GetResult();
            var id = request.Id ?? "b-" + Guid.NewGuid().ToString("N")[..12];
            tower.SubmitAsync(id, request, ct).GetAwaiter().GetResult();
            return Follow(id, c => tower.BatchAsync(id, c).GetAwaiter().GetResult()!, c => tower.DrivesAsync(c).GetAwaiter().GetResult(), ct);
        }
        finally
        {
            host.StopAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        }
    }

    internal static int Follow(string id, Func<CancellationToken, BatchDetail> batch, Func<CancellationToken, IReadOnlyList<DriveView>> drives, CancellationToken ct)
    {
        var view = new LiveView(Console.Out, !Console.IsOutputRedirected);
        while (true)
        {
            var detail = batch(ct);
            view.Show(detail, drives(ct));
            var b = detail.Batch;
            if (b.IsFinished)
            {
                Console.Error.WriteLine($"duplicator: batch {b.Id} {b.State}: {b.Good} of {b.Copies} good discs, {b.Bad} failed{(b.State == "completed" ? "" : $" ({b.Reason})")}");
                return b.State == "completed" && b.Good == b.Copies ? ExitCodes.Ok : ExitCodes.Failed;
            }
            Task.Delay(500, ct).GetAwaiter().GetResult();
        }
    }
}
