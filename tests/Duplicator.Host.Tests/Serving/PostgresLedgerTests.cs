using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Commands;

namespace Duplicator.Host.Tests.Serving;

/// <summary>
/// The ledger on a real PostgreSQL server (a private one per test class, see <see cref="PostgresServer"/>) under
/// `duplicator serve` as a real process: kill -9 and resume, one writer per database, a server that goes away,
/// and databases that are not a ledger.
/// </summary>
public sealed class PostgresLedgerTests(PostgresLedgerTests.Server pg) : IClassFixture<PostgresLedgerTests.Server>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(20);

    /// <summary>One server for the class; each test has its own database.</summary>
    public sealed class Server : IDisposable
    {
        public PostgresServer Pg { get; } = new();
        public void Dispose() => Pg.Dispose();
    }

    private static string Storage(string connectionString) => JsonSerializer.Serialize(new { provider = "postgres", connectionString });

    private static string Source(ServeProcess tower, int bytes)
    {
        var src = Directory.CreateDirectory(Path.Combine(tower.Dir, "src")).FullName;
        var big = new byte[bytes];
        new Random(5).NextBytes(big);
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), big);
        return src;
    }

    [Fact]
    public async Task A_host_on_postgres_killed_while_writing_resumes_and_ends_with_exactly_N_good_discs_recorded_in_the_database()
    {
        var cs = pg.Pg.NewDatabase("resume");
        using var tower = new ServeProcess(drives: 2, speed: 2, storageJson: Storage(cs));
        var src = Source(tower, 6_000_000);
        await tower.StartAsync();
        const int copies = 4;
        using (var client = tower.Client())
        {
            await client.SubmitAsync(JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "pg", folder = src, copies }), CancellationToken.None);
            var deadline = DateTime.UtcNow + Long;
            while (!(await client.DrivesAsync(CancellationToken.None)).Any(d => d.State == "writing" && d.Percent >= 10))
            {
                Assert.True(DateTime.UtcNow < deadline, "no drive started writing");
                await Task.Delay(25);
            }
        }
        tower.Kill();

        await tower.StartAsync();
        using var again = tower.Client();
        BatchDetail done;
        var until = DateTime.UtcNow + Long;
        while (!(done = await again.BatchAsync("pg", CancellationToken.None)).Batch.IsFinished)
        {
            Assert.True(DateTime.UtcNow < until, $"batch not finished: {done.Batch}");
            await Task.Delay(50);
        }

        Assert.Equal("completed", done.Batch.State);
        var completed = done.Discs.Where(d => d.State == "completed").ToArray();
        Assert.Equal(copies, completed.Length);
        Assert.Contains(done.Discs, d => d.State == "interrupted");
        var sha = Assert.Single(completed.Select(d => d.Sha256).Distinct())!;
        var files = Directory.GetFiles(tower.Discs, "disc-*.iso", SearchOption.AllDirectories);
        Assert.True(files.Count(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))) == sha) >= copies);
        // The facts are in PostgreSQL, not in a file beside the tower.
        Assert.True((long)pg.Pg.Scalar("resume", "SELECT count(*) FROM journal WHERE persistence_id = 'batch-pg'")! >= copies + 2);
        Assert.False(File.Exists(Path.Combine(tower.Dir, "ledger.db")));
        Assert.False(File.Exists(Path.Combine(tower.Dir, "var", "ledger.db")));
    }

    [Fact]
    public async Task A_second_host_on_the_same_database_refuses_to_start_naming_the_first_and_after_kill_9_one_starts()
    {
        var cs = pg.Pg.NewDatabase("twohosts");
        using var first = new ServeProcess(drives: 1, speed: 0, storageJson: Storage(cs));
        using var second = new ServeProcess(drives: 1, speed: 0, storageJson: Storage(cs)); // its own stash, port and folder
        await first.StartAsync();
        var rows = pg.Pg.Scalar("twohosts", "SELECT count(*) FROM journal");

        var watch = Stopwatch.StartNew();
        var refused = CliRunner.Run("serve", "--config", second.ConfigPath);

        Assert.True(watch.Elapsed < Quick, $"took {watch.Elapsed}");
        Assert.Equal(1, refused.ExitCode);
        var line = Assert.Single(refused.StdErr.Trim().Split('\n'));
        Assert.StartsWith($"duplicator: IMAPI_E_STASHINUSE: the ledger postgres 127.0.0.1:{pg.Pg.Port}/twohosts is in use by another duplicator: pid {first.Pid} ", line);
        Assert.Contains($"control API http://127.0.0.1:{first.Port}", line);
        Assert.Equal(rows, pg.Pg.Scalar("twohosts", "SELECT count(*) FROM journal")); // nothing written by the refused one

        first.Kill();
        await second.StartAsync(); // the server dropped the lock with the killed host's connection
        using var client = second.Client();
        Assert.True(await client.IsRunningAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_server_that_goes_away_under_a_running_host_stops_it_with_one_line_and_exit_1()
    {
        using var own = new PostgresServer(); // crashed by this test: not the class's server
        var cs = own.NewDatabase("crash");
        using var tower = new ServeProcess(drives: 1, speed: 0, storageJson: Storage(cs));
        using var serve = CliProcess.Start(tower.ConfigPath, tower.Dir);
        await serve.UntilAnswering(tower.Port);

        own.Crash();
        var watch = Stopwatch.StartNew();

        Assert.True(serve.WaitForExit(Quick), $"still running after {Quick}:\n{serve.StdOut}");
        Assert.True(watch.Elapsed < Quick, $"took {watch.Elapsed}");
        Assert.Equal(1, serve.ExitCode);
        var line = Assert.Single(serve.StdErr.Trim().Split('\n'));
        Assert.StartsWith($"duplicator: the ledger postgres 127.0.0.1:{own.Port}/crash failed (", line);
        Assert.EndsWith("stopping", line);
    }

    [Fact]
    public void A_server_that_does_not_answer_is_refused_at_start_naming_it_at_once()
    {
        using var tower = new ServeProcess(drives: 1, speed: 0, storageJson: Storage($"Host=127.0.0.1;Port={pg.Pg.Port + 1};Username=x;Password=hunter2;Database=nowhere"));

        var watch = Stopwatch.StartNew();
        var r = CliRunner.Run("serve", "--config", tower.ConfigPath);

        Assert.True(watch.Elapsed < Quick, $"took {watch.Elapsed}");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.StartsWith($"duplicator: IMAPI_E_DEVICENOTACCESSIBLE: ledger postgres 127.0.0.1:{pg.Pg.Port + 1}/nowhere: cannot connect: ", line);
        Assert.DoesNotContain("hunter2", r.StdErr);
        Assert.False(Directory.Exists(Path.Combine(tower.Dir, "stash")) && Directory.EnumerateFileSystemEntries(Path.Combine(tower.Dir, "stash")).Any(f => !f.Contains(".duplicator.lock")));
    }

    [Fact]
    public void A_database_whose_journal_table_is_another_programs_is_refused_and_left_as_it_was()
    {
        var cs = pg.Pg.NewDatabase("foreign");
        pg.Pg.Scalar("foreign", "CREATE TABLE journal (id integer PRIMARY KEY, entry text); INSERT INTO journal VALUES (1, 'theirs')");
        using var tower = new ServeProcess(drives: 1, speed: 0, storageJson: Storage(cs));

        var r = CliRunner.Run("serve", "--config", tower.ConfigPath);

        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.Equal($"duplicator: IMAPI_E_INVALIDINPUT: ledger postgres 127.0.0.1:{pg.Pg.Port}/foreign: its table 'journal' is not a duplicator ledger's " +
            "(no column ordering, persistence_id, sequence_number, message, manifest); refusing to start on it", line);
        Assert.Equal("theirs", pg.Pg.Scalar("foreign", "SELECT string_agg(entry, ',') FROM journal"));
        Assert.Equal(0L, pg.Pg.Scalar("foreign", "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'journal'"));
    }

    [Theory]
    [InlineData("""{ "provider": "oracle", "connectionString": "x" }""", "storage:provider: 'oracle' is not one of sqlite, postgres")]
    [InlineData("""{ "provider": "postgres" }""", "storage:connectionString: required for provider 'postgres'")]
    [InlineData("""{ "provider": "postgres", "connectionString": "Host=h;Password=hunter2;Database=d;Colour=blue" }""", "storage:connectionString: not a PostgreSQL connection string: ")]
    [InlineData("""{ "provider": "postgres", "connectionString": "Host=h;Password=hunter2" }""", "storage:connectionString: not a PostgreSQL connection string: no Database")]
    public void A_storage_section_that_cannot_name_a_ledger_is_refused_naming_the_key_without_the_password(string storage, string expected)
    {
        using var tower = new ServeProcess(drives: 1, speed: 0, storageJson: storage);

        var r = CliRunner.Run("serve", "--config", tower.ConfigPath);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.StdErr);
        Assert.DoesNotContain("hunter2", r.StdErr);
        Assert.False(Directory.Exists(Path.Combine(tower.Dir, "stash")));
    }
}
