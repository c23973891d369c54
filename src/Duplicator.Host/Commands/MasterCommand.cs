using System.CommandLine;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Images = Duplicator.Mastering.Images;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Commands;

/// <summary><c>duplicator master SRC_DIR... -o OUT.iso</c>: stages folders with AddData, in order, and writes an ISO 9660 + Joliet image.</summary>
internal static class MasterCommand
{
    public static Command Create()
    {
        var sources = new Argument<string[]>("SRC_DIR") { Arity = ArgumentArity.OneOrMore, Description = "folders whose contents go into the image root, overlaid in the order given" };
        var output = new Option<string>("--output", "-o") { Required = true, Description = "the image file to write (written whole or not at all; never a source, a file inside one, or anything but a regular file)" };
        var force = new Option<bool>("--force") { Description = "replace the output file when it exists (only ever a regular file that is no source)" };
        var volume = new Option<string>("--volume") { Description = "volume name (Joliet keeps 16 characters, ISO 9660 32 d-characters)", DefaultValueFactory = _ => "DUPLICATOR" };
        var media = new Option<string>("--media") { Description = "capacity to stage for: cd74, cd80, dvd, dvd-dl, bd25, bd50", DefaultValueFactory = _ => "dvd" };
        var overwrite = new Option<bool>("--overwrite") { Description = "a later folder's file replaces an earlier one of the same path (otherwise a clash is an error)" };
        var longNames = new Option<string>("--joliet-names") { Description = "strict (64 units, else an error), long (103 units), truncate (shorten, keep extension)", DefaultValueFactory = _ => "strict" };
        var fileSystem = new Option<string?>("--filesystem") { Description = "joliet (ISO 9660 + Joliet), udf-bridge (ISO 9660 + Joliet + UDF 1.02; Joliet names cut to fit), udf (UDF 2.50 alone, metadata partition), dvd-video; default: joliet for CD, udf-bridge for DVD, udf for BD" };
        var cmd = new Command("master", "stage folders (AddData, in order) and write an ISO 9660 + Joliet (or UDF bridge) image")
        {
            sources, output, force, volume, media, overwrite, longNames, fileSystem,
        };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            var outPath = parse.GetValue(output)!;
            if (string.IsNullOrWhiteSpace(outPath))
                throw new UsageException("-o/--output: empty path; name the image file to write");
            var sourceDirs = parse.GetValue(sources)!.Select(s => Cli.PathArgument(s, "SRC_DIR")).ToArray();
            var mediaText = parse.GetValue(media);
            if (!MediaCapacity.TryParse(mediaText, out var kind))
                throw new UsageException($"--media {mediaText}: not one of cd74, cd80, dvd, dvd-dl, bd25, bd50");
            var policy = parse.GetValue(longNames) switch
            {
                "strict" => JolietNamePolicy.Strict,
                "long" or "long103" => JolietNamePolicy.Long103,
                "truncate" => JolietNamePolicy.Truncate,
                var other => throw new UsageException($"--joliet-names {other}: not one of strict, long, truncate"),
            };
            // Before anything is staged: the output is never a source, inside one, or anything but a regular file.
            var outFull = Images.OutputTarget.Check(outPath, sourceDirs, parse.GetValue(force));
            var fileSystems = ParseFileSystem(parse.GetValue(fileSystem), kind);
            var staging = new JolietStaging(kind)
            {
                Properties = new JolietProperties(VolumeName: parse.GetValue(volume)!, LongNames: policy),
                FileSystems = fileSystems,
            };
            var timing = PhaseTiming.FromEnvironment();
            timing?.Mark("start to command");
            foreach (var src in sourceDirs)
                staging.AddData(src, parse.GetValue(overwrite), cancellationToken: ct);
            timing?.Mark("AddData");
            var image = staging.Build();
            timing?.Mark("Build");
            image.WriteTo(outFull, cancellationToken: ct, replace: parse.GetValue(force));
            timing?.Mark("WriteTo");
            Console.WriteLine($"{outPath}: {staging.FileCount} files, {staging.UsedDataBlocks} of {staging.TotalDataBlocks} blocks of {staging.DataBlockSize} bytes used ({MediaCapacity.Name(kind)})");
            if (image.RenamedJolietNames > 0)
                Console.WriteLine($"{outPath}: {image.RenamedJolietNames} Joliet name(s) shortened or cleaned (--joliet-names truncate)");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>The --filesystem value, or the medium's default (<see cref="FileSystemNames.DefaultFor"/>); one the medium cannot carry is a usage error.</summary>
    internal static DataFileSystems ParseFileSystem(string? text, MediaKind media)
    {
        var fileSystems = text is null ? FileSystemNames.DefaultFor(media)
            : FileSystemNames.TryParse(text, out var fs) ? fs
            : throw new UsageException($"--filesystem {text}: not one of {FileSystemNames.Listed}");
        if (FileSystemNames.Refusal(fileSystems, media) is { } why)
            throw new UsageException($"--filesystem {FileSystemNames.Name(fileSystems)} with --media {MediaCapacity.Name(media)}: {why}");
        return fileSystems;
    }
}

/// <summary>
/// <c>DUPLICATOR_TIMING=1</c>: the master command prints how long each phase took to stderr (the first
/// figure counts from process start, so it holds the runtime's start-up and the command-line parse).
/// </summary>
internal sealed class PhaseTiming
{
    private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _offset;

    private PhaseTiming(TimeSpan sinceStart) => _offset = sinceStart;

    public static PhaseTiming? FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(Configuration.ConfigLoader.TimingSwitch) != "1") return null;
        var started = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();
        return new PhaseTiming(DateTime.UtcNow - started);
    }

    public void Mark(string phase)
    {
        Console.Error.WriteLine($"timing: {phase} {(_watch.Elapsed + _offset).TotalSeconds:F3} s");
        _offset = TimeSpan.Zero;
        _watch.Restart();
    }
}
