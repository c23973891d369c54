using System.CommandLine;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Commands;

/// <summary><c>duplicator audio WAV... -o OUT.cue</c>: stages WAV files as Red Book tracks and writes BIN/CUE.</summary>
internal static class AudioCommand
{
    public static Command Create()
    {
        var wavs = new Argument<string[]>("WAV") { Arity = ArgumentArity.OneOrMore, Description = "44.1 kHz 16-bit stereo WAV files, one track each, in order" };
        var output = new Option<string>("--output", "-o") { Required = true, Description = "the CUE sheet to write; the BIN goes beside it (both or neither; never an input, a file inside the stash, or anything but a regular file)" };
        var force = new Option<bool>("--force") { Description = "replace the CUE sheet and BIN when they exist (only ever regular files that are no input)" };
        var title = new Option<string?>("--title") { Description = "CD-TEXT album title (tracks are then titled after their file names)" };
        var performer = new Option<string?>("--performer") { Description = "CD-TEXT album and track performer" };
        var trackTitles = new Option<string[]>("--track-title") { Description = "CD-TEXT title of the next track, once per WAV in order (instead of the file names)", AllowMultipleArgumentsPerToken = false };
        var trackPerformers = new Option<string[]>("--track-performer") { Description = "CD-TEXT performer of the next track, once per WAV in order (instead of --performer)", AllowMultipleArgumentsPerToken = false };
        var catalog = new Option<string?>("--catalog") { Description = "media catalog number (13 digits)" };
        var media = new Option<string>("--media") { Description = "cd74 or cd80", DefaultValueFactory = _ => "cd80" };
        var allowShort = new Option<bool>("--allow-short") { Description = "allow tracks shorter than Red Book's 4 seconds" };
        var stash = new Option<string?>("--stash") { Description = "folder for the audio stash (default: the system's temporary folder)" };
        var cmd = new Command("audio", "stage WAV files as Red Book audio tracks and write BIN/CUE")
        {
            wavs, output, force, title, performer, trackTitles, trackPerformers, catalog, media, allowShort, stash,
        };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            var cue = parse.GetValue(output)!;
            if (string.IsNullOrWhiteSpace(cue))
                throw new UsageException("-o/--output: empty path; name the CUE sheet to write");
            var bin = BinCueWriter.BinPathFor(cue);
            if (string.Equals(bin, Path.GetFullPath(cue), StringComparison.Ordinal))
                throw new UsageException($"-o {cue}: the CUE sheet would be its own BIN; name it .cue");
            var stashDir = parse.GetValue(stash) is { } given ? Cli.PathArgument(given, "--stash") : Path.Combine(Path.GetTempPath(), "duplicator-stash");
            var wavFiles = parse.GetValue(wavs)!.Select(w => Cli.PathArgument(w, "WAV")).ToArray();
            var mediaText = parse.GetValue(media);
            if (!MediaCapacity.TryParse(mediaText, out var kind) || !MediaCapacity.IsCd(kind))
                throw new UsageException($"--media {mediaText}: audio needs cd74 or cd80");
            // Before anything is read: neither output is a WAV, inside the stash, or anything but a regular file.
            string[] inputs = [.. wavFiles, stashDir];
            var forced = parse.GetValue(force);
            var cueFull = OutputTarget.Check(cue, inputs, forced);
            OutputTarget.Check(bin, inputs, forced);
            var albumTitle = parse.GetValue(title);
            var albumPerformer = parse.GetValue(performer);
            var titles = parse.GetValue(trackTitles) ?? [];
            var performers = parse.GetValue(trackPerformers) ?? [];
            if (titles.Length is not 0 && titles.Length != wavFiles.Length)
                throw new UsageException($"--track-title given {titles.Length} times for {wavFiles.Length} WAV files: give it once per track, or not at all");
            if (performers.Length is not 0 && performers.Length != wavFiles.Length)
                throw new UsageException($"--track-performer given {performers.Length} times for {wavFiles.Length} WAV files: give it once per track, or not at all");
            var infos = wavFiles.Select((wav, i) => new AudioTrackInfo(
                titles.Length > 0 ? titles[i] : albumTitle != null ? Path.GetFileNameWithoutExtension(wav) : null,
                performers.Length > 0 ? performers[i] : albumPerformer)).ToArray();
            // CD-TEXT a disc-at-once burn could not write is refused now, before anything is staged or written.
            var text = new CdText(albumTitle, albumPerformer, null, [.. infos.Select(x => new CdTextTrack(x.Title, x.Performer))]);
            if (!text.IsEmpty) _ = CdTextPacks.Encode(text);
            using var staging = new RedbookStaging(kind, stashDir)
            {
                AllowShortTracks = parse.GetValue(allowShort),
                Title = albumTitle,
                Performer = albumPerformer,
                Catalog = parse.GetValue(catalog),
            };
            for (int i = 0; i < wavFiles.Length; i++)
                AudioImport.AddWav(staging, wavFiles[i], infos[i], cancellationToken: ct);
            var disc = staging.Build();
            BinCueWriter.Write(disc, cueFull, ct, replace: forced);
            Console.WriteLine($"{cue}: {staging.TotalAudioTracks} tracks, {staging.UsedAudioBlocks} of {staging.TotalAudioBlocks} blocks used including gaps ({MediaCapacity.Name(kind)}); audio in {bin}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
