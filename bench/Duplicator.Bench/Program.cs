// duplicator-bench: one batch of an image through the real tower (Tower.Props: supervisor, ledger, staging,
// waves, RecorderActors on their drive threads) to N emulated recorders, measured from the first WRITE any
// drive receives to the last SYNCHRONIZE CACHE (or, for --kind null, the last chunk taken). Run it through
// bench/fanout-bench.sh; docs/benchmarks.md has the results and the command.
//
//   duplicator-bench --image PATH [--drives 16] [--copies 16] [--kind emulated|null] [--speed 0] [--buffer 2m]
//                    [--discard true] [--dir PATH] [--fail-drive N --fail-lba L] [--chunk BYTES] [--window N]
//                    [--warmup MIB] [--label TEXT] [--discs] [--akka-loglevel INFO] [--profile dvd+r]
//                    [--slow-drive N --slow-speed S [--slow-at LBA]] [--hang-drive N --hang-lba L] [--stall SECONDS]
//                    [--faults-drive N --faults QUERY] [--gather-ms 200] [--config FILE] [--verify true] [--timeline]
//
// --kind null replaces the MMC driver and emulator by a drive that only copies what the fan-out hands it into
// its 64 KiB write buffer (the same reads DataDiscWriter does): the orchestrator alone.
// --warmup burns a first batch of the image's first MIB MiB on the same drives and measures the second one.
// --fail-drive arms a one-shot WRITE error at --fail-lba on that drive (1-based) through the emulator's FaultPlan.
// --folder DIR submits a folder job instead of --image (the batch masters it), after mastering it once alone (mastering_alone_s).
// --per-disc N (with --folder) gives every disc N serial-numbered files and its own volume name.
// --slow-drive runs that drive (1-based) at --slow-speed instead of --speed (a slower member of the tower); with
// --slow-at LBA it is rated at --speed and its URL carries the emulator's fault slow-at=LBA:SLOW-SPEED instead
// (it falls back from that LBA on, as on poor media).
// --hang-drive gives that drive the emulator's URL fault hang-write-at=--hang-lba (default: the middle of the image):
// its first WRITE reaching that LBA hangs until the command timeout (30 s), once per drive; --stall sets the wave's
// stall deadline.
// --faults-drive N --faults 'k=v&k=v' appends any other URL faults to drive N's URL.
// Stash bytes read are reported twice: the waves' own count (WaveFinished.BytesRead) and, independently, what the
// process read with read(2)/pread(2) over the measured batch (/proc/self/io rchar: the stash reads, the content
// hash's one read of the image, and a few small files).
// SUMMARY_OTHERS repeats SUMMARY without the slow and the hung drive: what their trouble did to everybody else.
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Supervision;
using Duplicator.Bench;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;

var opt = Options.Parse(args);
string? folder = opt.Has("folder") ? Path.GetFullPath(opt.Get("folder", "")) : null;
if (folder is not null && !Directory.Exists(folder)) { Console.Error.WriteLine($"duplicator-bench: --folder '{folder}' does not exist"); return 2; }
string image = opt.Has("image") ? Path.GetFullPath(opt.Get("image", "")) : "";
if (folder is null && !File.Exists(image)) { Console.Error.WriteLine($"duplicator-bench: --image '{image}' does not exist"); return 2; }
double masteringSeconds = -1;
if (folder is not null)
{
    // --folder: the batch masters the folder itself; mastering it once here first, alone, is what a folder job's
    // time to the first WRITE is compared with (and gives the image's size).
    var clock = Stopwatch.StartNew();
    var mastered = ImageStager.Stage(new BatchSpec("mastered", SourceKind.Folder, [folder], 1, new BatchOptions(false, 0, 0, true, [])), DateTimeOffset.UtcNow,
        Path.Combine(Path.GetTempPath(), "dup-bench-mastered"), CancellationToken.None);
    masteringSeconds = clock.Elapsed.TotalSeconds;
    image = mastered.StashPath;
}
long imageBytes = new FileInfo(image).Length;
// --config FILE: the drives of a tower config (config/duplicator.json), their URLs as written except dir=, which
// points into --dir so the bench never writes where ./run.sh does.
var configDrives = opt.Has("config") ? ConfigDrives.Read(opt.Get("config", "")) : null;
int driveCount = configDrives?.Count ?? opt.Int("drives", 16);
int copies = opt.Int("copies", driveCount);
string kind = opt.Get("kind", "emulated");
int speed = opt.Int("speed", 0);
string buffer = opt.Get("buffer", "2m");
bool discard = opt.Get("discard", configDrives is null ? "true" : "false") == "true";
bool verify = opt.Get("verify", "false") == "true";
string dir = Path.GetFullPath(opt.Get("dir", Path.Combine(Path.GetTempPath(), "dup-bench-discs")));
int failDrive = opt.Int("fail-drive", 0);
long failLba = opt.Long("fail-lba", imageBytes / 2048 / 2);
string label = opt.Get("label", kind);
string profile = opt.Get("profile", "dvd+r");
int slowDrive = opt.Int("slow-drive", 0);
int slowSpeed = opt.Int("slow-speed", 4);
long slowAt = opt.Long("slow-at", -1);
int hangDrive = opt.Int("hang-drive", 0);
long hangLba = opt.Long("hang-lba", imageBytes / 2048 / 2);
int faultsDrive = opt.Int("faults-drive", 0);
string faults = opt.Get("faults", "");
var staging = Staging.Settings.Default;
staging = staging with
{
    ChunkBytes = opt.Int("chunk", staging.ChunkBytes), Window = opt.Int("window", staging.Window),
    StallTimeout = TimeSpan.FromSeconds(opt.Int("stall", (int)staging.StallTimeout.TotalSeconds)),
    GatherWindow = TimeSpan.FromMilliseconds(opt.Int("gather-ms", (int)staging.GatherWindow.TotalMilliseconds)),
};
string stash = Path.Combine(dir, "stash");
if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
Directory.CreateDirectory(dir);

var metrics = new Metrics();
var drives = new List<Tower.DriveSpec>();
for (int i = 1; i <= driveCount; i++)
{
    string id = $"d{i:00}";
    string url = $"emulated:{profile}?speed={(i == slowDrive && slowAt < 0 ? slowSpeed : speed)}&buffer={buffer}&dir={Uri.EscapeDataString(dir)}&name={id}&autoreload=true&discard={(discard ? "true" : "false")}";
    if (configDrives is not null) (id, url) = (configDrives[i - 1].Id, ConfigDrives.WithDir(configDrives[i - 1].Url, dir));
    if (i == slowDrive && slowAt >= 0) url += $"&slow-at={slowAt}:{slowSpeed}";
    if (i == faultsDrive && faults.Length > 0) url += "&" + faults;
    // A drive reopened from its URL (its recorder actor restarted after the hung WRITE) would arm the hang afresh and
    // hang its next disc too: the bench wants one hung disc, so only the first open carries it.
    string firstUrl = i == hangDrive ? url + $"&hang-write-at={hangLba}" : url;
    if (i == slowDrive || i == hangDrive || i == faultsDrive) Console.Error.WriteLine($"duplicator-bench: {id} {firstUrl}");
    bool arm = i == failDrive;
    bool firstOpen = true;
    drives.Add(new Tower.DriveSpec(id, kind == "null" ? "null:" + id : url, kind switch
    {
        "null" => () => new NullDrive(id, metrics),
        "emulated" => () =>
        {
            var recorder = EmulatedRecorder.FromUrl(firstOpen ? firstUrl : url);
            firstOpen = false;
            if (arm) recorder.Faults.FailWriteAt(failLba); // armed on the first open only: a restart gets a sound drive
            arm = false;
            return new MmcDiscRecorder(new TimedTransport(recorder, id, metrics));
        },
        _ => throw new ArgumentException($"--kind '{kind}' is not emulated or null"),
    }));
}

string logLevel = opt.Get("akka-loglevel", "WARNING");
var config = PersistenceConfig.InMemory().WithFallback(ConfigurationFactory.ParseString($"akka.loglevel = {logLevel}\nakka.stdout-loglevel = {logLevel}"));
using var system = ActorSystem.Create("bench", config);
var listener = system.ActorOf(Props.Create(() => new Listener()), "listener");
system.EventStream.Subscribe(listener, typeof(Staging.WaveFinished));
system.EventStream.Subscribe(listener, typeof(Tower.BatchChanged));
var tower = system.ActorOf(Tower.Props(drives, Tower.Settings.Default(stash) with { Staging = staging }), "tower");

var readyBy = DateTime.UtcNow.AddSeconds(60);
while (true)
{
    var states = await tower.Ask<Tower.DriveStatus[]>(Tower.GetDrives.Instance, TimeSpan.FromSeconds(10));
    if (states.All(s => s.State == Duplicator.Actors.Recorders.DriveState.Ready)) break;
    if (DateTime.UtcNow > readyBy) { Console.Error.WriteLine("duplicator-bench: drives not ready after 60 s"); return 1; }
    await Task.Delay(50);
}

// --warmup N: a first batch of the image's first N MiB through the same drives, so the measured batch runs on
// warm code paths (a tower process lives for days; its first disc is the only cold one).
int warmupMiB = opt.Int("warmup", 0);
if (warmupMiB > 0)
{
    string warm = Path.Combine(dir, "warmup.iso");
    using (var src = File.OpenRead(image))
    using (var dst = File.Create(warm))
    {
        var chunk = new byte[1 << 20];
        for (int m = 0; m < warmupMiB && src.Read(chunk) is var n && n > 0; m++) dst.Write(chunk, 0, n);
    }
    var warmSpec = new BatchSpec("warmup", SourceKind.Image, [warm], driveCount, new BatchOptions(Verify: false, Speed: 0, FailedDiscThreshold: 0, RejectIfNotBlank: true, Drives: []));
    if (await tower.Ask<object>(new Tower.Submit(warmSpec), TimeSpan.FromSeconds(30)) is not Tower.Submitted) { Console.Error.WriteLine("duplicator-bench: warm-up refused"); return 1; }
    await Listener.Finished("warmup").WaitAsync(TimeSpan.FromMinutes(10));
    while ((await tower.Ask<Tower.DriveStatus[]>(Tower.GetDrives.Instance, TimeSpan.FromSeconds(10))).Any(d => d.State != Duplicator.Actors.Recorders.DriveState.Ready))
        await Task.Delay(20);
    await Task.Delay(300);
    metrics.Reset();
    Listener.Waves.Clear();
}

var process = Process.GetCurrentProcess();
long baseRss = Metrics.ProcStatusKb("VmRSS");
var cpuSubmit = process.TotalProcessorTime;
long allocSubmit = GC.GetTotalAllocatedBytes(precise: true);
int[] gcSubmit = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
long rcharSubmit = Metrics.ProcIo("rchar");
var hashedSubmit = (Bytes: Duplicator.Actors.Recorders.PerDiscHashCounters.HashedBytes, Time: Duplicator.Actors.Recorders.PerDiscHashCounters.Hashing);
long submitTicks = Stopwatch.GetTimestamp();
metrics.SubmitTicks = submitTicks;
using var sampler = opt.Has("cpu-sample") ? new ThreadCpuSampler(submitTicks) : null;
var spec = new BatchSpec("bench", folder is null ? SourceKind.Image : SourceKind.Folder, [folder ?? image], copies, new BatchOptions(Verify: verify, Speed: 0, FailedDiscThreshold: 0, RejectIfNotBlank: true, Drives: []));
// --per-disc N (folder jobs): N serial-numbered files of 256 bytes and a volume name template; each drive lays its
// disc's sectors over the shared chunks and hashes its disc as written.
int perDiscFiles = opt.Int("per-disc", 0);
if (perDiscFiles > 0)
    spec = spec with
    {
        PerDisc = new PerDiscSpec(1000, [.. Enumerable.Range(1, perDiscFiles).Select(i => new PerDiscFileSpec($"SERIAL{i}.TXT", 256, $"Serial {{serial:000000}} file {i} disc {{disc}}\n"))],
            "DATA_{serial}", [], [], null, FailedSerial.Void, DateTimeOffset.UtcNow),
    };
var answer = await tower.Ask<object>(new Tower.Submit(spec), TimeSpan.FromSeconds(30));
if (answer is not Tower.Submitted) { Console.Error.WriteLine($"duplicator-bench: submit refused: {answer}"); return 1; }
var (final, finishedTicks) = await Listener.Finished("bench").WaitAsync(TimeSpan.FromMinutes(30));
process.Refresh();
var cpuEnd = process.TotalProcessorTime;
long allocEnd = GC.GetTotalAllocatedBytes(precise: true);
int[] gcEnd = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
long peakRss = Metrics.ProcStatusKb("VmHWM");
await Task.Delay(300); // a wave publishes WaveFinished when its last member took the last chunk: let any late one arrive
long rcharRead = Metrics.ProcIo("rchar") - rcharSubmit;

var hashedEnd = (Bytes: Duplicator.Actors.Recorders.PerDiscHashCounters.HashedBytes, Time: Duplicator.Actors.Recorders.PerDiscHashCounters.Hashing);
var discs = metrics.Discs.OrderBy(d => d.StartTicks).ToArray();
var good = discs.Where(d => !d.Failed).ToArray();
long firstWrite = discs.Min(d => d.StartTicks);
long lastEnd = good.Max(d => d.EndTicks);
double wall = Stopwatch.GetElapsedTime(firstWrite, lastEnd).TotalSeconds;
double delivered = (double)final.Good.Count * imageBytes;
double cpuWindow = (cpuEnd - metrics.CpuAtFirstWrite).TotalSeconds;
double cpuStaging = (metrics.CpuAtFirstWrite - cpuSubmit).TotalSeconds;
long bytesRead = Listener.Waves.Sum(w => w.BytesRead);
int fellBehind = Listener.Waves.Sum(w => w.FellBehind);
var inv = CultureInfo.InvariantCulture;
string F(double v, int digits = 2) => v.ToString("F" + digits, inv);

Console.WriteLine(string.Join(' ',
    $"RESULT label={label} kind={kind} warmup_MiB={warmupMiB} drives={driveCount} copies={copies} good={final.Good.Count} failed={final.Failed} status={final.Status}",
    $"verify={verify} submit_to_batch_done_s={F(Stopwatch.GetElapsedTime(submitTicks, finishedTicks).TotalSeconds, 3)}",
    $"per_disc_files={perDiscFiles} image_MiB={imageBytes >> 20} chunk_KiB={staging.ChunkBytes >> 10} window={staging.Window} speed={speed} discard={discard}",
    $"wall_s={F(wall, 3)} aggregate_GBps={F(delivered / wall / 1e9, 3)}",
    $"submit_to_first_write_s={F(Stopwatch.GetElapsedTime(submitTicks, firstWrite).TotalSeconds)}{(folder is null ? "" : $" source=folder mastering_alone_s={F(masteringSeconds)}")} last_write_to_batch_done_s={F(Stopwatch.GetElapsedTime(lastEnd, finishedTicks).TotalSeconds)}",
    $"bytes_read={bytesRead} read_x_image={F((double)bytesRead / imageBytes, 3)} waves={Listener.Waves.Count} fell_behind={fellBehind} hash_read_x_image=1 process_read_x_image={F((double)rcharRead / imageBytes, 3)}",
    $"cpu_s={F(cpuWindow)} cpu_s_per_GB={F(cpuWindow / (delivered / 1e9), 3)} cpu_staging_s={F(cpuStaging)}",
    $"peak_rss_MB={F(peakRss / 1024.0, 0)} rss_before_submit_MB={F(baseRss / 1024.0, 0)}",
    $"alloc_MB={F((allocEnd - allocSubmit) / 1048576.0, 0)} gc={gcEnd[0] - gcSubmit[0]}/{gcEnd[1] - gcSubmit[1]}/{gcEnd[2] - gcSubmit[2]}"));
if (perDiscFiles > 0)
{
    // Where a per-disc burn's extra work goes (the hash threads, AsWrittenHash): process-wide, since the process started.
    var hashTime = hashedEnd.Time - hashedSubmit.Time;
    long hashed = hashedEnd.Bytes - hashedSubmit.Bytes;
    var waits = Duplicator.Actors.Recorders.PerDiscHashCounters.BufferWaits;
    Console.WriteLine($"PERDISC hashed_GB={F(hashed / 1e9, 3)} hash_thread_s={F(hashTime.TotalSeconds)} hash_GBps_per_thread={F(hashed / 1e9 / Math.Max(1e-9, hashTime.TotalSeconds))}" +
        $" hash_max_lag_chunks={Duplicator.Actors.Recorders.PerDiscHashCounters.MaxLagChunks} drive_waits_for_hash_buffer={waits.Count} drive_waits_for_hash_buffer_s={F(waits.Total.TotalSeconds, 3)}" +
        $" drive_waits_for_hash_at_end_s={F(Duplicator.Actors.Recorders.PerDiscHashCounters.FinishWaits.TotalSeconds, 3)}");
}

if (opt.Has("dump-commands")) metrics.DumpCommands(opt.Get("dump-commands", "commands.csv"));
if (opt.Has("timeline")) metrics.PrintTimelines(Stopwatch.GetElapsedTime(submitTicks, finishedTicks).TotalSeconds, imageBytes);
if (opt.Has("discs") || speed > 0 || failDrive > 0 || hangDrive > 0 || configDrives is not null)
{
    foreach (var d in discs)
    {
        double s = Stopwatch.GetElapsedTime(d.StartTicks, d.EndTicks).TotalSeconds;
        double rate = d.Bytes / s;
        Console.WriteLine($"DISC drive={d.Drive} n={d.Seq} bytes={d.Bytes} s={F(s, 3)} MBps={F(rate / 1e6)}" +
            (d.RatedBps > 0 ? $" pct_rated={F(100 * rate / d.RatedBps)} rated_MBps={F(d.RatedBps / 1e6)}" : "") +
            $" underruns={d.Underruns} blocked_s={F(d.Blocked.TotalSeconds)} failed={d.Failed.ToString().ToLowerInvariant()}" +
            (d.FirstUnderrunAt >= 0 ? $" first_underrun_at_byte={d.FirstUnderrunAt} first_underrun_s={F(d.FirstUnderrunSeconds, 3)}" : "") +
            $" longest_host_gap_ms={F(d.LongestGapMs, 1)} at_byte={d.LongestGapAt}");
    }
    // The first disc of every drive in the measured batch, unless it failed: the drives that ran side by side.
    void Summary(string name, Func<string, bool> include)
    {
        var firstDiscs = discs.Where(d => include(d.Drive)).GroupBy(d => d.Drive).Select(g => g.OrderBy(d => d.StartTicks).First()).ToArray();
        var firsts = firstDiscs.Where(d => !d.Failed && d.RatedBps > 0).Select(d => (d.Bytes / Stopwatch.GetElapsedTime(d.StartTicks, d.EndTicks).TotalSeconds) / d.RatedBps * 100).OrderBy(p => p).ToArray();
        if (firsts.Length > 0)
            Console.WriteLine($"{name} first_discs={firsts.Length} pct_rated_min={F(firsts[0])} pct_rated_median={F(firsts[firsts.Length / 2])} pct_rated_max={F(firsts[^1])} underruns_first_discs={firstDiscs.Where(d => !d.Failed).Sum(d => d.Underruns)} underruns_all_discs={discs.Where(d => include(d.Drive)).Sum(d => d.Underruns)} failed_discs={discs.Count(d => include(d.Drive) && d.Failed)}");
    }
    Summary("SUMMARY", _ => true);
    if (slowDrive > 0 || hangDrive > 0)
        Summary("SUMMARY_OTHERS", d => d != $"d{slowDrive:00}" && d != $"d{hangDrive:00}");
}
await system.Terminate();
return final.Status == BatchStatus.Completed ? 0 : 1;

namespace Duplicator.Bench
{
    /// <summary>
    /// --cpu-sample: every 2 s, the CPU each thread of the process used since the last sample (/proc/self/task/*/stat,
    /// utime + stime in clock ticks of 10 ms), the busiest first: which threads the process's CPU goes to.
    /// </summary>
    internal sealed class ThreadCpuSampler : IDisposable
    {
        private readonly Timer _timer;
        private readonly Dictionary<string, long> _last = [];
        private readonly long _submit;

        public ThreadCpuSampler(long submitTicks)
        {
            _submit = submitTicks;
            _timer = new Timer(_ => Sample(), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        }

        private void Sample()
        {
            var now = new Dictionary<string, (string Name, long Ticks)>();
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    int close = stat.LastIndexOf(')');
                    string name = stat[(stat.IndexOf('(') + 1)..close];
                    var f = stat[(close + 2)..].Split(' ');
                    now[Path.GetFileName(task)] = (name, long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture));
                }
                catch (IOException) { }
            }
            var deltas = now.Select(kv => (kv.Value.Name, Tid: kv.Key, D: kv.Value.Ticks - _last.GetValueOrDefault(kv.Key))).Where(x => x.D > 0).OrderByDescending(x => x.D).ToArray();
            foreach (var kv in now) _last[kv.Key] = kv.Value.Ticks;
            Console.WriteLine($"CPU t={Stopwatch.GetElapsedTime(_submit).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} total_ticks={deltas.Sum(x => x.D)} threads={now.Count} " +
                string.Join(' ', deltas.Take(8).Select(x => $"{x.Name.Replace(' ', '_')}/{x.Tid}={x.D}")));
        }

        public void Dispose() => _timer.Dispose();
    }

    /// <summary>The drives of a tower config file (its "drives": id and URL).</summary>
    internal static class ConfigDrives
    {
        public static List<(string Id, string Url)> Read(string path)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            return [.. doc.RootElement.GetProperty("drives").EnumerateArray().Select(d => (d.GetProperty("id").GetString()!, d.GetProperty("url").GetString()!))];
        }

        /// <summary>The URL with its dir= parameter (added if missing) naming <paramref name="dir"/>.</summary>
        public static string WithDir(string url, string dir)
        {
            int q = url.IndexOf('?');
            var parts = q < 0 ? [] : url[(q + 1)..].Split('&').Where(p => !p.StartsWith("dir=", StringComparison.Ordinal)).ToList();
            parts.Insert(0, "dir=" + Uri.EscapeDataString(dir));
            return (q < 0 ? url : url[..q]) + "?" + string.Join('&', parts);
        }
    }

    /// <summary>--key value arguments.</summary>
    internal sealed class Options
    {
        private readonly Dictionary<string, string> _values = [];

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (int i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"argument '{args[i]}' is not --name [value]");
                bool flag = i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal);
                o._values[args[i][2..]] = flag ? "true" : args[++i];
            }
            return o;
        }

        public bool Has(string key) => _values.ContainsKey(key);
        public string Get(string key, string fallback) => _values.GetValueOrDefault(key, fallback);
        public int Int(string key, int fallback) => _values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        public long Long(string key, long fallback) => _values.TryGetValue(key, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>One disc as a drive saw it: first WRITE to the end of SYNCHRONIZE CACHE (or the failed WRITE).</summary>
    internal sealed class DiscRecord(string drive, int seq, long startTicks, long underrunsAtStart, TimeSpan blockedAtStart, double ratedBps)
    {
        public string Drive { get; } = drive;
        public int Seq { get; } = seq;
        public long StartTicks { get; } = startTicks;
        public long EndTicks { get; set; }
        public long Bytes { get; set; }
        public bool Failed { get; set; }
        public double RatedBps { get; } = ratedBps;
        public long UnderrunsAtStart { get; } = underrunsAtStart;
        public TimeSpan BlockedAtStart { get; } = blockedAtStart;
        public long Underruns { get; set; }
        public TimeSpan Blocked { get; set; }

        /// <summary>Where the first underrun showed: bytes written before it and seconds into the disc (-1: none).</summary>
        public long FirstUnderrunAt { get; set; } = -1;
        public double FirstUnderrunSeconds { get; set; } = -1;

        /// <summary>Longest time between the end of one WRITE and the start of the next (the host's gap).</summary>
        public double LongestGapMs { get; set; }
        public long LongestGapAt { get; set; }
        public long LastWriteEnd { get; set; }
    }

    internal sealed class Metrics
    {
        private int _started;

        /// <summary>When the measured batch was submitted (timelines count from here).</summary>
        public long SubmitTicks { get; set; }

        /// <summary>Every command each drive got during the run: opcode, start, end, data bytes, good.</summary>
        public ConcurrentDictionary<string, List<(byte Op, long Start, long End, int Bytes, bool Good)>> Commands { get; } = new();

        /// <summary>
        /// Per drive, its commands from submit on, runs of WRITE(10) and READ(10) folded into one line each (count,
        /// bytes, rate): what a disc's time went to, and what happened between one disc's end and the next one's
        /// first WRITE. TIMELINE lines; GAP lines sum the time between the folded runs.
        /// </summary>
        /// <summary>Every command of every drive as CSV (drive, opcode, start and end in seconds from submit, bytes, good).</summary>
        public void DumpCommands(string path)
        {
            using var w = new StreamWriter(path);
            w.WriteLine("drive,op,start_s,end_s,bytes,good");
            foreach (var (drive, all) in Commands.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                lock (all)
                    foreach (var c in all.Where(c => c.Start >= SubmitTicks))
                        w.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0},{1:X2},{2:F6},{3:F6},{4},{5}", drive, c.Op,
                            Stopwatch.GetElapsedTime(SubmitTicks, c.Start).TotalSeconds, Stopwatch.GetElapsedTime(SubmitTicks, c.End).TotalSeconds, c.Bytes, c.Good));
        }

        public void PrintTimelines(double batchSeconds, long imageBytes)
        {
            var inv = CultureInfo.InvariantCulture;
            double T(long ticks) => Stopwatch.GetElapsedTime(SubmitTicks, ticks).TotalSeconds;
            foreach (var (drive, all) in Commands.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                List<(byte Op, long Start, long End, int Bytes, bool Good)> cmds;
                lock (all) cmds = [.. all.Where(c => c.Start >= SubmitTicks)];
                var line = new System.Text.StringBuilder();
                for (int k = 0; k < cmds.Count;)
                {
                    var c = cmds[k];
                    if (c.Op is 0x2A or 0x28)
                    {
                        int j = k;
                        long bytes = 0;
                        while (j < cmds.Count && cmds[j].Op == c.Op) bytes += cmds[j++].Bytes;
                        double s = Stopwatch.GetElapsedTime(c.Start, cmds[j - 1].End).TotalSeconds;
                        Console.WriteLine(string.Format(inv, "TIMELINE drive={0} t={1:F3} op={2} n={3} bytes={4} s={5:F3} MBps={6:F2}{7}",
                            drive, T(c.Start), c.Op == 0x2A ? "WRITE" : "READ", j - k, bytes, s, bytes / s / 1e6, cmds[j - 1].Good ? "" : " last_failed"));
                        k = j;
                    }
                    else
                    {
                        Console.WriteLine(string.Format(inv, "TIMELINE drive={0} t={1:F3} op={2:X2} s={3:F3}{4}", drive, T(c.Start), c.Op,
                            Stopwatch.GetElapsedTime(c.Start, c.End).TotalSeconds, c.Good ? "" : " check_condition"));
                        k++;
                    }
                }
            }
        }

        public ConcurrentBag<DiscRecord> Discs { get; private set; } = [];

        /// <summary>Forgets the warm-up batch.</summary>
        public void Reset()
        {
            Discs = [];
            _started = 0;
        }

        /// <summary>Process CPU time when the first WRITE of the run arrived.</summary>
        public TimeSpan CpuAtFirstWrite { get; private set; }

        public void DiscStarted()
        {
            if (Interlocked.Exchange(ref _started, 1) == 0) CpuAtFirstWrite = Process.GetCurrentProcess().TotalProcessorTime;
        }

        /// <summary>A counter of /proc/self/io (rchar: bytes the process asked read(2), pread(2) and the like for).</summary>
    public static long ProcIo(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/io"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        return -1;
    }

    /// <summary>A field of /proc/self/status in kB (VmHWM: peak resident set; VmRSS: now).</summary>
        public static long ProcStatusKb(string field)
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return -1;
        }
    }

    /// <summary>Sits between the MMC driver and an emulated recorder and times each disc: WRITE to SYNCHRONIZE CACHE.</summary>
    internal sealed class TransportTimer(EmulatedRecorder inner, string drive, Metrics metrics)
    {
        private DiscRecord? _current;
        private int _seq;

        public EmulatedRecorder Inner => inner;

        public void Before(byte opcode)
        {
            if (opcode == 0x2A && _current is { LastWriteEnd: > 0 } c)
            {
                double gap = Stopwatch.GetElapsedTime(c.LastWriteEnd).TotalMilliseconds;
                if (gap > c.LongestGapMs) (c.LongestGapMs, c.LongestGapAt) = (gap, c.Bytes);
            }
            if (opcode == 0x2A && _current is null)
            {
                metrics.DiscStarted();
                _current = new DiscRecord(drive, ++_seq, Stopwatch.GetTimestamp(), inner.Underruns, inner.WriteBlockedTime,
                    inner.WriteSpeed > 0 && inner.Options.MaxSpeed != 0 ? inner.WriteSpeed * EmulatedProfiles.OneX(inner.CurrentProfile, 2048) : 0);
            }
        }

        public void After(byte opcode, bool good, int bytes)
        {
            if (_current is not { } d) return;
            if (opcode == 0x2A && good)
            {
                d.Bytes += bytes;
                d.LastWriteEnd = Stopwatch.GetTimestamp();
                if (d.FirstUnderrunAt < 0 && d.RatedBps > 0 && inner.Underruns > d.UnderrunsAtStart)
                    (d.FirstUnderrunAt, d.FirstUnderrunSeconds) = (d.Bytes, Stopwatch.GetElapsedTime(d.StartTicks).TotalSeconds);
            }
            if ((opcode == 0x2A && !good) || opcode == 0x35)
            {
                d.EndTicks = Stopwatch.GetTimestamp();
                d.Failed = !good;
                d.Underruns = inner.Underruns - d.UnderrunsAtStart;
                d.Blocked = inner.WriteBlockedTime - d.BlockedAtStart;
                if (!good) inner.Faults.ClearWriteErrors(); // one bad disc, not a bad drive
                metrics.Discs.Add(d);
                _current = null;
            }
        }
    }

    internal sealed class TimedTransport(EmulatedRecorder inner, string drive, Metrics metrics) : Duplicator.Drivers.Transport.IScsiTransport
    {
        private readonly TransportTimer _timer = new(inner, drive, metrics);

        public string Location => inner.Location;

        public Duplicator.Drivers.Transport.ScsiResult Execute(ReadOnlySpan<byte> cdb, Duplicator.Drivers.Transport.DataDirection direction, Span<byte> data, TimeSpan timeout)
        {
            _timer.Before(cdb[0]);
            long start = Stopwatch.GetTimestamp();
            var list = metrics.Commands.GetOrAdd(drive, _ => []);
            try
            {
                var r = inner.Execute(cdb, direction, data, timeout);
                _timer.After(cdb[0], r.IsGood, data.Length);
                lock (list) list.Add((cdb[0], start, Stopwatch.GetTimestamp(), data.Length, r.IsGood));
                return r;
            }
            catch
            {
                lock (list) list.Add((cdb[0], start, Stopwatch.GetTimestamp(), data.Length, false));
                throw;
            }
        }

        public void Dispose() => inner.Dispose();
    }

    /// <summary>A drive that takes the fanned-out image 64 KiB at a time, as DataDiscWriter reads it, and keeps nothing.</summary>
    internal sealed class NullDrive(string id, Metrics metrics) : IDiscRecorder
    {
        private int _seq;

        public string Path => "null:" + id;
        public (string Vendor, string Product, string Revision) DisplayNames => ("NULL", "DRIVE", "1");

        public MediaInfo QueryMediaInfo() => new(true, MediaFlags.Blank | MediaFlags.Writable, "DVD+R", 0, 1, 0, 2_295_104);
        public void Eject() { }
        public void Erase(bool full, Duplicator.Mastering.Imapi.IDiscMasterProgressEvents? progress = null, CancellationToken cancellationToken = default) { }

        public byte[]? Record(Duplicator.Mastering.Images.IDiscImage image, RecordOptions options, Duplicator.Mastering.Imapi.IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
        {
            const int sectors = 32;
            var buffer = ArrayPool<byte>.Shared.Rent(sectors * image.SectorSize);
            metrics.DiscStarted();
            var d = new DiscRecord(id, ++_seq, Stopwatch.GetTimestamp(), 0, TimeSpan.Zero, 0);
            try
            {
                for (long done = 0; done < image.SectorCount;)
                {
                    int n = (int)Math.Min(sectors, image.SectorCount - done);
                    image.Read(done, buffer.AsSpan(0, n * image.SectorSize));
                    done += n;
                    d.Bytes += n * image.SectorSize;
                    progress.NotifyBlockProgress(done, image.SectorCount);
                }
            }
            catch
            {
                d.Failed = true;
                throw;
            }
            finally
            {
                d.EndTicks = Stopwatch.GetTimestamp();
                metrics.Discs.Add(d);
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return null;
        }

        public void Dispose() { }
    }

    /// <summary>Collects WaveFinished and the end of the batch from the event stream.</summary>
    internal sealed class Listener : ReceiveActor
    {
        private static readonly ConcurrentDictionary<string, TaskCompletionSource<(BatchState State, long Ticks)>> s_finished = new();

        public static ConcurrentQueue<Staging.WaveFinished> Waves { get; } = new();

        /// <summary>Completes when batch <paramref name="id"/> has finished: its last state and when it was published.</summary>
        public static Task<(BatchState State, long Ticks)> Finished(string id) =>
            s_finished.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public Listener()
        {
            Receive<Staging.WaveFinished>(w => Waves.Enqueue(w));
            Receive<Tower.BatchChanged>(b =>
            {
                if (b.Batch.IsFinished && b.Batch.Spec is { } spec)
                    s_finished.GetOrAdd(spec.BatchId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult((b.Batch, Stopwatch.GetTimestamp()));
            });
        }
    }
}
