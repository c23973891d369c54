using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Data.PerDisc;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Batches;

/// <summary>
/// What becomes of the serial (and CSV row) of a disc that failed or was interrupted. Persisted as "void" or "reissue".
/// </summary>
[JsonConverter(typeof(CamelCaseEnumConverter<FailedSerial>))]
public enum FailedSerial
{
    /// <summary>
    /// The default: the serial and its row are never used again (a failed disc may still be readable, so it must not
    /// share its serial with a good one); the remake takes the next serial and row. A CSV then needs a row per failure
    /// beyond the copies, and the batch stops, failed, when the rows run out.
    /// </summary>
    Void,
    /// <summary>The remake gets the failed disc's serial and row: serials stay contiguous and exactly <c>copies</c> rows are used.</summary>
    Reissue,
}

/// <summary>One per-disc file of a batch.</summary>
/// <param name="Path">'/'-separated path inside the image.</param>
/// <param name="MaxBytes">Declared maximum size of its content (UTF-8 bytes of the rendered template).</param>
/// <param name="Template">Its content, a <see cref="DiscTemplate"/>.</param>
public sealed record PerDiscFileSpec(string Path, int MaxBytes, string Template);

/// <summary>
/// The per-disc part of a batch (a job's <c>perDisc</c> section, resolved): serials from <paramref name="SerialStart"/>,
/// per-disc files, an optional volume name template, and the CSV's rows embedded, so the ledger alone says what every
/// disc got and a restart needs no input file. Row k goes with the k-th serial handed out (serial SerialStart + k).
/// </summary>
/// <param name="SerialStart">The first serial.</param>
/// <param name="Files">The per-disc files.</param>
/// <param name="Volume">Volume name template; null keeps the batch's volume name on every disc.</param>
/// <param name="Columns">The CSV's columns (empty without a CSV).</param>
/// <param name="Rows">The CSV's rows.</param>
/// <param name="ValuesName">The CSV's name as the job gave it (for the record only).</param>
/// <param name="OnFailure">What a failed disc's serial becomes.</param>
/// <param name="Date">The date {date} renders: the job's submission time.</param>
public sealed record PerDiscSpec(
    long SerialStart,
    ImmutableArray<PerDiscFileSpec> Files,
    string? Volume,
    ImmutableArray<string> Columns,
    ImmutableArray<ImmutableArray<string>> Rows,
    string? ValuesName,
    FailedSerial OnFailure,
    DateTimeOffset Date)
{
    /// <summary>Largest first serial (serials stay exact in a JSON number and in 20 digits).</summary>
    public const long MaxSerial = 999_999_999_999_999;

    /// <summary>Longest rendered volume name (the ISO 9660 volume identifier holds 32 d-characters).</summary>
    public const int MaxVolumeLength = 32;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>True when both say the same (the date aside: a job submitted again later is the same job).</summary>
    public bool SameAs(PerDiscSpec other) =>
        JsonSerializer.Serialize(this with { Date = default }, Json) == JsonSerializer.Serialize(other with { Date = default }, Json);
}

/// <summary>The pure rules of per-disc batches: which serial and row a new disc gets, and what a disc's sectors hold.</summary>
public static class PerDiscLogic
{
    /// <summary>
    /// The index (serial - SerialStart, and the CSV row) the next disc gets, or null when the CSV's rows are used up.
    /// Void: one more than every index handed out. Reissue: the smallest index no good or in-flight disc holds.
    /// </summary>
    public static int? NextIndex(PerDiscSpec spec, BatchState state)
    {
        int index;
        if (spec.OnFailure == FailedSerial.Void)
        {
            index = state.Discs.Values.Select(d => d.Serial is { } s ? (int)(s - spec.SerialStart) + 1 : 0).DefaultIfEmpty(0).Max();
        }
        else
        {
            var held = state.Discs.Values.Where(d => d.State is DiscState.Completed or DiscState.Started && d.Serial is not null)
                .Select(d => (int)(d.Serial!.Value - spec.SerialStart)).ToHashSet();
            index = 0;
            while (held.Contains(index)) index++;
        }
        return spec.Columns.Length > 0 && index >= spec.Rows.Length ? null : index;
    }

    /// <summary>The values disc <paramref name="disc"/> renders with, given its index.</summary>
    public static DiscValues Values(PerDiscSpec spec, string batchId, int disc, int index) =>
        new(spec.SerialStart + index, disc, batchId, spec.Date, RowValues(spec, index));

    /// <summary>Row <paramref name="index"/> by column (empty without a CSV).</summary>
    public static ImmutableSortedDictionary<string, string> RowValues(PerDiscSpec spec, int index) =>
        spec.Columns.Length == 0 ? ImmutableSortedDictionary<string, string>.Empty
            : spec.Columns.Select((c, i) => (c, i)).ToImmutableSortedDictionary(x => x.c, x => spec.Rows[index][x.i], StringComparer.Ordinal);

    /// <summary>
    /// Renders every file (UTF-8) and the volume name for <paramref name="values"/>; InvalidInput naming the row, the
    /// serial and the field when one does not fit its declared size (or the volume its 32 characters).
    /// </summary>
    public static (ImmutableArray<byte[]> Contents, string? Volume) Render(PerDiscSpec spec, DiscValues values, int index) =>
        Render(spec, Compile(spec), values, index);

    private static (DiscTemplate[] Files, DiscTemplate? Volume) Compile(PerDiscSpec spec) =>
        ([.. spec.Files.Select((f, i) => DiscTemplate.Parse(f.Template, $"perDisc.files[{i}].template", spec.Columns))],
            spec.Volume is null ? null : DiscTemplate.Parse(spec.Volume, "perDisc.volume", spec.Columns));

    private static (ImmutableArray<byte[]> Contents, string? Volume) Render(PerDiscSpec spec, (DiscTemplate[] Files, DiscTemplate? Volume) t, DiscValues values, int index)
    {
        string Where() => spec.Columns.Length > 0 ? $"row {index + 1} of {spec.ValuesName ?? "the values"} (serial {values.Serial})" : $"serial {values.Serial}";
        var contents = ImmutableArray.CreateBuilder<byte[]>(spec.Files.Length);
        for (int i = 0; i < spec.Files.Length; i++)
        {
            var f = spec.Files[i];
            // UTF-8 has at least a byte per character: a rendering cut off past maxBytes characters is too long anyway.
            var text = t.Files[i].Render(values, f.MaxBytes + 1024); // a little over, so a near miss is reported exactly
            int length = text is null ? -1 : Encoding.UTF8.GetByteCount(text);
            if (text is null || length > f.MaxBytes)
                throw new ImapiException(ImapiError.InvalidInput,
                    $"{Where()}: perDisc.files[{i}] ({f.Path}) renders to {(text is null ? "more than " + f.MaxBytes : length)} bytes, its maxBytes is {f.MaxBytes}");
            contents.Add(Encoding.UTF8.GetBytes(text));
        }
        string? volume = t.Volume?.Render(values, PerDiscSpec.MaxVolumeLength);
        if (t.Volume is not null && volume is null)
            throw new ImapiException(ImapiError.InvalidInput, $"{Where()}: perDisc.volume renders to more than {PerDiscSpec.MaxVolumeLength} characters");
        return (contents.MoveToImmutable(), volume);
    }

    /// <summary>Most bytes a batch's check may render: rows (or copies) times the files' declared sizes.</summary>
    public const long MaxCheckBytes = 1L << 30;

    /// <summary>
    /// Checks a batch before anything is burned: the templates parse, every row (or, without a CSV, the first
    /// <c>copies</c> serials) renders within its sizes, and a CSV has at least <paramref name="copies"/> rows.
    /// Returns the first problem (naming the row and field), or null.
    /// </summary>
    public static string? Refusal(PerDiscSpec spec, int copies, string batchId)
    {
        if (spec.Files.IsDefaultOrEmpty && spec.Volume is null) return "perDisc: no files and no volume: nothing varies per disc";
        if (spec.Files.Length > JolietStaging.MaxPerDiscFiles) return $"perDisc.files: {spec.Files.Length} files, at most {JolietStaging.MaxPerDiscFiles}";
        for (int i = 0; i < spec.Files.Length; i++)
        {
            var f = spec.Files[i];
            if (f.MaxBytes is < 1 or > JolietStaging.MaxPerDiscFileBytes) return $"perDisc.files[{i}].maxBytes {f.MaxBytes}: 1..{JolietStaging.MaxPerDiscFileBytes}";
            if (string.IsNullOrEmpty(f.Path) || f.Template is null) return $"perDisc.files[{i}]: a path and a template are needed";
            if (spec.Files.Take(i).Any(o => string.Equals(o.Path, f.Path, StringComparison.OrdinalIgnoreCase))) return $"perDisc.files[{i}].path {f.Path}: named twice";
        }
        if (spec.SerialStart is < 0 or > PerDiscSpec.MaxSerial) return $"perDisc.serialStart {spec.SerialStart}: 0..{PerDiscSpec.MaxSerial}";
        if (spec.Columns.Length > 0 && spec.Rows.Length < copies)
            return $"perDisc.values: {spec.ValuesName ?? "the CSV"} has {spec.Rows.Length} rows for {copies} copies: one row per good disc, never repeated";
        if (spec.Rows.Any(r => r.Length != spec.Columns.Length)) return "perDisc.values: a row's field count differs from the columns";
        int count = spec.Columns.Length > 0 ? spec.Rows.Length : copies;
        long perDisc = spec.Files.Sum(f => (long)f.MaxBytes) + PerDiscSpec.MaxVolumeLength;
        if (count * perDisc > MaxCheckBytes)
            return $"perDisc: {count} discs of {perDisc} declared bytes each is more than the {MaxCheckBytes} bytes a batch may render";
        try
        {
            var compiled = Compile(spec);
            for (int k = 0; k < count; k++) Render(spec, compiled, Values(spec, batchId, k + 1, k), k);
        }
        catch (ImapiException e)
        {
            return e.Message;
        }
        return null;
    }

    /// <summary>
    /// What a recorder needs to burn <paramref name="entry"/> of a per-disc batch: its serial and its sectors from the
    /// staged image's plan; null for a batch of identical discs. <paramref name="error"/> says why a per-disc disc cannot
    /// be burned (the staged image has no plan, or its values no longer render), and the result is then null.
    /// </summary>
    public static Recorders.Recorder.PerDiscBurn? Burn(BatchSpec spec, Images.StagedImage image, DiscEntry entry, out string? error)
    {
        error = null;
        if (spec.PerDisc is not { } pd) return null;
        if (image.PerDisc is not { } plan || entry.Serial is not { } serial)
        {
            error = $"batch {spec.BatchId}: disc {entry.Disc} has no serial or the staged image no per-disc plan";
            return null;
        }
        try
        {
            int index = checked((int)(serial - pd.SerialStart));
            var (contents, volume) = Render(pd, Values(pd, spec.BatchId, entry.Disc, index), index);
            return new Recorders.Recorder.PerDiscBurn(serial, plan.Patches([.. contents.Select(c => (ReadOnlyMemory<byte>)c)], volume));
        }
        catch (Exception e) when (e is ImapiException or OverflowException)
        {
            error = $"disc {entry.Disc} (serial {serial}): {e.Message}";
            return null;
        }
    }
}
