using System.Globalization;
using System.Text.RegularExpressions;
using Duplicator.Mastering.Data.Udf;

namespace Duplicator.Mastering.Data;

/// <summary>
/// What DVD-Video players expect of a disc's file system, applied to a staged tree before the bridge layout:
/// VIDEO_TS (and AUDIO_TS) with upper-case names, only the files the DVD-Video specification names, every
/// IFO with its BUP, no VOB larger than one UDF extent (players read each file as one extent), and the file
/// data of VIDEO_TS first and contiguous in the order VIDEO_TS.IFO, VIDEO_TS.VOB, VIDEO_TS.BUP, then each
/// title set's VTS_nn_0.IFO, its VOBs (VTS_nn_0.VOB menu, VTS_nn_1..9.VOB titles) and VTS_nn_0.BUP
/// (the IFOs address a title set's VOBs as one run of sectors).
/// </summary>
internal static partial class DvdVideo
{
    public const string VideoFolder = "VIDEO_TS";
    public const string AudioFolder = "AUDIO_TS";

    /// <summary>The largest VOB: one short_ad extent (the specification's 1 GiB, rounded down to whole sectors).</summary>
    public const long MaxVobBytes = UdfStructures.MaxExtentBytes;

    [GeneratedRegex(@"^(VIDEO_TS\.(IFO|VOB|BUP)|VTS_(\d\d)_0\.(IFO|BUP)|VTS_(\d\d)_(\d)\.VOB)$", RegexOptions.CultureInvariant)]
    private static partial Regex VideoFile();

    /// <summary>
    /// Returns a copy of <paramref name="root"/> with VIDEO_TS and AUDIO_TS and their files upper-cased, and
    /// the files in the order their data must be laid out (VIDEO_TS then AUDIO_TS; the rest of the tree follows
    /// in the ordinary order). What players would reject is listed in <paramref name="problems"/>.
    /// </summary>
    public static (StagedDirectory Root, List<StagedFile> DataOrder) Prepare(StagedDirectory root, List<string> problems)
    {
        var copy = new StagedDirectory(root.Name, root.ModifiedUtc);
        StagedDirectory? video = null, audio = null;
        foreach (var (name, node) in root.Children)
        {
            var upper = name.ToUpperInvariant();
            if (node is StagedDirectory d && (upper == VideoFolder || upper == AudioFolder))
            {
                if (copy.Children.ContainsKey(upper))
                {
                    problems.Add($"/{name}: a second {upper} folder (names differ only in case)");
                    continue;
                }
                var folder = UpperCased(d, upper, problems);
                copy.Children[upper] = folder;
                if (upper == VideoFolder) video = folder; else audio = folder;
            }
            else
            {
                copy.Children[name] = node;
            }
        }
        var order = new List<StagedFile>();
        if (video is null)
        {
            problems.Add($"no {VideoFolder} folder at the root: a DVD-Video disc needs one");
            return (copy, order);
        }
        var sets = new SortedDictionary<int, (StagedFile? Ifo, StagedFile? Bup, StagedFile?[] Vobs)>();
        StagedFile? menuIfo = null, menuVob = null, menuBup = null;
        foreach (var (name, node) in video.Children)
        {
            if (node is not StagedFile f)
            {
                problems.Add($"/{VideoFolder}/{name}: a folder inside {VideoFolder}");
                continue;
            }
            var m = VideoFile().Match(name);
            if (!m.Success)
            {
                problems.Add($"/{VideoFolder}/{name}: not a DVD-Video file (VIDEO_TS.IFO/VOB/BUP, VTS_nn_0.IFO/BUP, VTS_nn_m.VOB)");
                continue;
            }
            if (name.EndsWith(".VOB", StringComparison.Ordinal) && f.Size > MaxVobBytes)
                problems.Add($"/{VideoFolder}/{name}: {f.Size} bytes, players take a VOB of at most {MaxVobBytes} (1 GiB in one extent)");
            if (m.Groups[2].Success)
            {
                switch (m.Groups[2].Value)
                {
                    case "IFO": menuIfo = f; break;
                    case "VOB": menuVob = f; break;
                    default: menuBup = f; break;
                }
                continue;
            }
            int set = int.Parse(m.Groups[3].Success ? m.Groups[3].Value : m.Groups[5].Value, CultureInfo.InvariantCulture);
            if (set == 0)
            {
                problems.Add($"/{VideoFolder}/{name}: title sets are numbered 01 to 99");
                continue;
            }
            var entry = sets.TryGetValue(set, out var e) ? e : (null, null, new StagedFile?[10]);
            if (m.Groups[4].Success)
            {
                if (m.Groups[4].Value == "IFO") entry.Ifo = f; else entry.Bup = f;
            }
            else
            {
                entry.Vobs[m.Groups[6].Value[0] - '0'] = f;
            }
            sets[set] = entry;
        }
        if (menuIfo is null || menuBup is null)
            problems.Add($"/{VideoFolder}: VIDEO_TS.IFO and VIDEO_TS.BUP must both be present (found {(menuIfo is null ? "no" : "the")} IFO, {(menuBup is null ? "no" : "the")} BUP)");
        foreach (var (set, (ifo, bup, _)) in sets)
        {
            if (ifo is null || bup is null)
                problems.Add($"/{VideoFolder}: title set {set:D2} needs VTS_{set:D2}_0.IFO and VTS_{set:D2}_0.BUP (found {(ifo is null ? "no" : "the")} IFO, {(bup is null ? "no" : "the")} BUP)");
        }
        Add(menuIfo);
        Add(menuVob);
        Add(menuBup);
        foreach (var (_, (ifo, bup, vobs)) in sets)
        {
            Add(ifo);
            foreach (var v in vobs) Add(v);
            Add(bup);
        }
        if (audio is not null)
            foreach (var name in audio.Children.Keys.Order(StringComparer.Ordinal))
                if (audio.Children[name] is StagedFile af) Add(af);
        return (copy, order);

        void Add(StagedFile? f)
        {
            if (f is not null) order.Add(f);
        }
    }

    /// <summary>A copy of <paramref name="d"/> named <paramref name="name"/> whose files carry upper-case names.</summary>
    private static StagedDirectory UpperCased(StagedDirectory d, string name, List<string> problems)
    {
        var copy = new StagedDirectory(name, d.ModifiedUtc);
        foreach (var (childName, child) in d.Children)
        {
            var upper = childName.ToUpperInvariant();
            if (copy.Children.ContainsKey(upper))
            {
                problems.Add($"/{name}/{childName}: clashes with another name once upper-cased");
                continue;
            }
            copy.Children[upper] = child switch
            {
                StagedFile f => new StagedFile(upper, f.SourcePath, f.Size, f.ModifiedUtc),
                StagedDirectory sub => UpperCased(sub, upper, problems),
                _ => child,
            };
        }
        return copy;
    }
}
