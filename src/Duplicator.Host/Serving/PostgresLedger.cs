using Duplicator.Mastering.Imapi;
using Npgsql;

namespace Duplicator.Host.Serving;

/// <summary>
/// A PostgreSQL ledger (<c>storage.provider</c> <c>postgres</c>), opened before the actor system: the server must
/// answer, a <c>journal</c> table already there must be Akka.Persistence.Sql's (a database of another program is
/// refused, never written into), and the one-writer rule holds as for a SQLite file, with a session-level advisory
/// lock on a connection kept for the host's life. PostgreSQL drops the lock when that connection ends, so a host
/// killed with -9 never blocks the next one; a host that loses the connection (server restart, a terminated backend)
/// has lost the lock too and must stop (<see cref="WatchAsync"/>), since another host may then take the ledger.
/// </summary>
public sealed class PostgresLedger : IDisposable
{
    /// <summary>The advisory lock key of a tower's ledger ("Duplicat" in ASCII): one standalone tower per database.</summary>
    public const long WriterLockKey = 0x4475_706C_6963_6174;

    /// <summary>
    /// The advisory lock key of a floor tower's start ("Duplicas"): held from <see cref="Open"/> until the tower's journal
    /// answered once (<see cref="ReleaseStart"/>), so towers started at once create the journal's tables one at a time.
    /// </summary>
    public const long StartLockKey = 0x4475_706C_6963_6173;

    /// <summary>Longest wait for another tower's start (<see cref="StartLockKey"/>) before this one gives up.</summary>
    public static readonly TimeSpan StartWait = TimeSpan.FromSeconds(120);

    /// <summary>Longest connection string accepted from a config.</summary>
    public const int MaxConnectionStringLength = 4096;

    private const string HolderTable = "duplicator_writer";
    private const int HolderLimit = 1024;

    // The columns Akka.Persistence.Sql 1.5.73 creates in its journal table (a subset is enough to tell it is ours).
    private static readonly string[] JournalColumns = ["ordering", "persistence_id", "sequence_number", "message", "manifest"];

    private readonly NpgsqlConnection _lock;
    private NpgsqlConnection? _start;

    private PostgresLedger(NpgsqlConnection held, string name, NpgsqlConnection? start)
    {
        _lock = held;
        Name = name;
        _start = start;
    }

    /// <summary>
    /// Lets the next tower of a floor start (closing the connection that holds <see cref="StartLockKey"/>): called once
    /// this tower's journal answered, so its tables exist. Idempotent; nothing for a standalone tower.
    /// </summary>
    public void ReleaseStart() => Interlocked.Exchange(ref _start, null)?.Dispose();

    /// <summary>The ledger as messages name it: <c>postgres HOST:PORT/DATABASE</c> (never the password).</summary>
    public string Name { get; }

    /// <summary>
    /// Parses <paramref name="connectionString"/> and returns the ledger's display name, or throws
    /// <see cref="ArgumentException"/> saying what is wrong (used by the config check, before anything connects).
    /// </summary>
    public static string Describe(string connectionString)
    {
        if (connectionString.Length > MaxConnectionStringLength)
            throw new ArgumentException($"{connectionString.Length} characters, at most {MaxConnectionStringLength}");
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(b.Host)) throw new ArgumentException("no Host");
        if (string.IsNullOrWhiteSpace(b.Database)) throw new ArgumentException("no Database (the ledger's own database, not 'postgres')");
        return $"postgres {b.Host}:{b.Port}/{b.Database}";
    }

    /// <summary>
    /// Connects, checks the database and takes the writer lock, or throws <see cref="ImapiException"/> naming the
    /// ledger: unreachable (DeviceNotAccessible), another program's tables (InvalidInput), or in use by another
    /// duplicator (StashInUse, naming it as <paramref name="who"/> was given there).
    /// </summary>
    /// <remarks>
    /// With <paramref name="floor"/> (a tower of a floor, config <c>cluster</c>) the lock is taken shared: the towers of
    /// one floor share the ledger (its router's journal is fenced apart, see <see cref="FloorFence"/>), and a standalone
    /// tower, which takes it exclusive, can run on the database neither beside them nor they beside it.
    /// </remarks>
    public static PostgresLedger Open(string connectionString, string who, bool floor = false)
    {
        var name = Describe(connectionString);
        var b = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // The lock's own connection: never pooled (a pooled connection would outlive Dispose, and the lock with it).
            Pooling = false,
            ApplicationName = "duplicator writer lock",
        };
        if (!new NpgsqlConnectionStringBuilder(connectionString).ContainsKey("Timeout")) b.Timeout = 10;
        var connection = new NpgsqlConnection(b.ConnectionString);
        try
        {
            connection.Open();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            connection.Dispose();
            throw new ImapiException(ImapiError.DeviceNotAccessible, $"ledger {name}: cannot connect: {OneLine(e)}", e);
        }
        NpgsqlConnection? start = null;
        try
        {
            // Towers of a floor started at once would race creating the same tables (CREATE TABLE IF NOT EXISTS is not
            // safe concurrently: 23505 on pg_type_typname_nsp_index, seen with three towers): they start one at a time.
            if (floor) start = TakeStart(b, name);
            CheckJournal(connection, name);
            if (!Scalar<bool>(connection, floor ? $"SELECT pg_try_advisory_lock_shared({WriterLockKey})" : $"SELECT pg_try_advisory_lock({WriterLockKey})"))
                throw new ImapiException(ImapiError.StashInUse, floor
                    ? $"the ledger {name} is in use by a standalone duplicator: {Holder(connection)}; stop that one first, or give the floor its own database"
                    : $"the ledger {name} is in use by another duplicator: {Holder(connection)}; stop that one first, or give this one its own database");
            Execute(connection, $"""
                CREATE TABLE IF NOT EXISTS {HolderTable} (id integer PRIMARY KEY, holder text NOT NULL);
                INSERT INTO {HolderTable} (id, holder) VALUES (1, @holder) ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder;
                """, who.Length > HolderLimit ? who[..HolderLimit] : who);
            return new PostgresLedger(connection, name, start);
        }
        catch (NpgsqlException e)
        {
            start?.Dispose();
            connection.Dispose();
            throw new ImapiException(ImapiError.DeviceNotAccessible, $"ledger {name}: {OneLine(e)}", e);
        }
        catch
        {
            start?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Waits (at most <see cref="StartWait"/>) for <see cref="StartLockKey"/> on a connection of its own.</summary>
    private static NpgsqlConnection TakeStart(NpgsqlConnectionStringBuilder b, string name)
    {
        var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(b.ConnectionString) { ApplicationName = "duplicator start lock" }.ConnectionString);
        try
        {
            c.Open();
            using (var set = new NpgsqlCommand($"SET lock_timeout = '{(int)StartWait.TotalMilliseconds}ms'", c)) set.ExecuteNonQuery();
            using var cmd = new NpgsqlCommand($"SELECT pg_advisory_lock({StartLockKey})", c) { CommandTimeout = (int)StartWait.TotalSeconds + 10 };
            cmd.ExecuteNonQuery();
            return c;
        }
        catch (NpgsqlException e) when (e is PostgresException { SqlState: "55P03" })
        {
            c.Dispose();
            throw new ImapiException(ImapiError.StashInUse, $"ledger {name}: another tower of the floor has been starting for more than {StartWait.TotalSeconds:F0} s (start lock); try again", e);
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks the lock's connection every <paramref name="every"/> until <paramref name="stop"/>; when it is gone
    /// (and the lock with it) calls <paramref name="lost"/> once with the reason.
    /// </summary>
    public async Task WatchAsync(TimeSpan every, Action<string> lost, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, stop);
                await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted", _lock);
                if ((long)(await cmd.ExecuteScalarAsync(stop))! == 0)
                {
                    lost($"the ledger {Name} lost its writer lock; stopping");
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
        {
            lost($"the ledger {Name} failed (its writer lock's connection: {OneLine(e)}); stopping");
        }
    }

    private static void CheckJournal(NpgsqlConnection c, string name)
    {
        using var cmd = new NpgsqlCommand("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'journal'", c);
        var columns = new List<string>();
        using (var r = cmd.ExecuteReader())
            while (r.Read() && columns.Count < 256) columns.Add(r.GetString(0));
        if (columns.Count == 0) return; // a new ledger: the journal creates its tables
        var missing = JournalColumns.Where(j => !columns.Contains(j, StringComparer.Ordinal)).ToArray();
        if (missing.Length > 0)
            throw new ImapiException(ImapiError.InvalidInput,
                $"ledger {name}: its table 'journal' is not a duplicator ledger's (no column {string.Join(", ", missing)}); refusing to start on it");
    }

    private static string Holder(NpgsqlConnection c)
    {
        try
        {
            using var cmd = new NpgsqlCommand($"SELECT holder FROM {HolderTable} WHERE id = 1", c);
            var text = cmd.ExecuteScalar() as string ?? "a process that has not said who it is";
            text = text.Length > HolderLimit ? text[..HolderLimit] : text;
            return new string(text.Select(ch => char.IsControl(ch) ? ' ' : ch).ToArray()).Trim();
        }
        catch (NpgsqlException)
        {
            return "a process that has not said who it is";
        }
    }

    private static T Scalar<T>(NpgsqlConnection c, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        return (T)cmd.ExecuteScalar()!;
    }

    private static void Execute(NpgsqlConnection c, string sql, string holder)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddWithValue("holder", holder);
        cmd.ExecuteNonQuery();
    }

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ");

    /// <summary>Releases the lock (closing its connection; PostgreSQL also drops it when the process dies).</summary>
    public void Dispose()
    {
        ReleaseStart();
        _lock.Dispose();
    }
}
