using System.CommandLine;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Commands;

/// <summary><c>duplicator audio WAV... -o OUT.cue</c>: stages WAV files as Red Book tracks and writes BIN/CUE.</summary>
internal static class AudioCommand
{
    public static Command Create()
    {
        var wavs = new Argument<string[]>("WAV") { Arity = ArgumentArity.OneOrMore, Description = "44.1 kHz 16-bit stereo WAV files, one track each, in order" };
        var output = new Option<string>("--output", "-o") { Required = true, Description = "the CUE sheet to write; the BIN goes beside it (both or neither)" };
        var title = new Option<string?>("--title") { Description = "CD-TEXT album title (tracks are then titled after their file names)" };
        var performer = new Option<string?>("--performer") { Description = "CD-TEXT album and track performer" };
        var catalog = new Option<string?>("--catalog") { Description = "media catalog number (13 digits)" };
        var media = new Option<string>("--media") { Description = "cd74 or cd80", DefaultValueFactory = _ => "cd80" };
        var allowShort = new Option<bool>("--allow-short") { Description = "allow tracks shorter than Red Book's 4 seconds" };
        var stash = new Option<string?>("--stash") { Description = "folder for the audio stash (default: the system's temporary folder)" };
        var cmd = new Command("audio", "stage WAV files as Red Book audio tracks and write BIN/CUE")
        {
            wavs, output, title, performer, catalog, media, allowShort, stash,
        };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            var mediaText = parse.GetValue(media);
            if (!MediaCapacity.TryParse(mediaText, out var kind) || !MediaCapacity.IsCd(kind))
                throw new ImapiException(ImapiError.InvalidInput, $"--media {mediaText}: audio needs cd74 or cd80");
            var albumTitle = parse.GetValue(title);
            var albumPerformer = parse.GetValue(performer);
            using var staging = new RedbookStaging(kind, parse.GetValue(stash) ?? Path.Combine(Path.GetTempPath(), "duplicator-stash"))
            {
                AllowShortTracks = parse.GetValue(allowShort),
                Title = albumTitle,
                Performer = albumPerformer,
                Catalog = parse.GetValue(catalog),
            };
            foreach (var wav in parse.GetValue(wavs)!)
            {
                var info = new AudioTrackInfo(albumTitle != null ? Path.GetFileNameWithoutExtension(wav) : null, albumPerformer);
                AudioImport.AddWav(staging, wav, info, cancellationToken: ct);
            }
            var disc = staging.Build();
            var cue = parse.GetValue(output)!;
            var bin = BinCueWriter.Write(disc, cue, ct);
            Console.WriteLine($"{cue}: {staging.TotalAudioTracks} tracks, {staging.UsedAudioBlocks} of {staging.TotalAudioBlocks} blocks used including gaps ({MediaCapacity.Name(kind)}); audio in {bin}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
