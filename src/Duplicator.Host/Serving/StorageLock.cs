using System.Runtime.InteropServices;
using System.Text;
using Duplicator.Host.Configuration;
using Duplicator.Mastering.Imapi;
using Microsoft.Data.Sqlite;

namespace Duplicator.Host.Serving;

/// <summary>
/// One ledger, one writer: an OS file lock on the ledger (<c>ledger.db.lock</c> beside a SQLite ledger) and on the
/// stash (<c>.duplicator.lock</c> in it), taken before the actor system opens either and held for the host's life.
/// On Unix it is flock(LOCK_EX | LOCK_NB) on the open lock file; the kernel drops it when the process dies, kill -9
/// included, so a stale lock file never blocks a restart. Who holds it is written beside it (<c>*.holder</c>) for the
/// refusal to name. flock is per host: storage shared over a network file system is not protected (docs/threat-model.md).
/// </summary>
public sealed partial class StorageLock : IDisposable
{
    /// <summary>The lock file in the stash folder.</summary>
    public const string StashLockName = ".duplicator.lock";

    private const int HolderLimit = 4096;
    private readonly List<IDisposable> _held;

    private StorageLock(List<IDisposable> held, IReadOnlyList<string> files, PostgresLedger? postgres)
    {
        _held = held;
        Files = files;
        Postgres = postgres;
    }

    /// <summary>The lock files held.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>The PostgreSQL ledger's writer lock, when the ledger is a PostgreSQL database.</summary>
    public PostgresLedger? Postgres { get; }

    /// <summary>The ledger as messages name it: its file, or <c>postgres HOST:PORT/DATABASE</c>.</summary>
    public static string LedgerName(StorageConfig storage) =>
        LedgerFile(storage) ?? (StorageConfig.IsPostgres(storage.Provider) ? PostgresLedger.Describe(storage.ConnectionString!) : storage.Provider);

    /// <summary>
    /// Takes the locks of <paramref name="config"/>'s ledger (a SQLite file's lock file, or a PostgreSQL database's
    /// advisory lock) and stash, or throws an
    /// <see cref="ImapiException"/> (StashInUse) naming the lock and who holds it. <paramref name="role"/> says what
    /// this process is, for a later refusal's message.
    /// </summary>
    public static StorageLock Acquire(TowerConfig config, string role)
    {
        var who = $"pid {Environment.ProcessId} on {Environment.MachineName} ({role}) since {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}";
        var held = new List<IDisposable>();
        var files = new List<string>();
        PostgresLedger? postgres = null;
        try
        {
            if (StorageConfig.IsPostgres(config.Storage.Provider))
            {
                postgres = PostgresLedger.Open(config.Storage.ConnectionString!, config.Cluster is null ? who : $"{who}, tower {config.Cluster.Tower} of a floor", floor: config.Cluster != null);
                held.Add(postgres);
            }
            else if (LedgerFile(config.Storage) is { } ledger)
            {
                var ledgerLock = ledger + ".lock";
                held.Add(Take(ledgerLock, $"the ledger {ledger}", who));
                files.Add(ledgerLock);
            }
            var stash = Path.GetFullPath(config.StashDirectory);
            Directory.CreateDirectory(stash);
            var stashLock = Path.Combine(stash, StashLockName);
            held.Add(Take(stashLock, $"the stash {stash}", who));
            files.Add(stashLock);
            return new StorageLock(held, files, postgres);
        }
        catch
        {
            foreach (var f in held) f.Dispose();
            throw;
        }
    }

    /// <summary>The full path of a SQLite ledger file, or null for a server database (locked there, see <see cref="PostgresLedger"/>).</summary>
    public static string? LedgerFile(StorageConfig storage)
    {
        if (!StorageConfig.IsSqlite(storage.Provider)) return null;
        if (string.IsNullOrWhiteSpace(storage.ConnectionString)) return Path.GetFullPath(storage.Path);
        var source = new SqliteConnectionStringBuilder(storage.ConnectionString).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:" || source.StartsWith("file:", StringComparison.Ordinal) ? null : Path.GetFullPath(source);
    }

    private static FileStream Take(string lockFile, string what, string who)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);
        // Never truncated nor written: the lock is the open file, so a link planted here cannot make us destroy a file.
        // The host disables .NET's FileShare emulation (System.IO.DisableFileLocking, for mastering speed), so on Unix
        // the lock is taken with flock(2) directly; on Windows FileShare.None is the OS's own share lock.
        var stream = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, OperatingSystem.IsWindows() ? FileShare.None : FileShare.ReadWrite);
        if (!OperatingSystem.IsWindows() && Native.flock((int)stream.SafeFileHandle.DangerousGetHandle(), Native.LockExclusive | Native.LockNonBlocking) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            stream.Dispose();
            if (errno != Native.EWouldBlock)
                throw new IOException($"{what}: cannot lock {lockFile} (errno {errno}: {Marshal.GetLastPInvokeErrorMessage()})");
            throw InUse(lockFile, what);
        }
        // Temp + rename: a link at the holder's name is replaced, never followed.
        var holder = lockFile + ".holder";
        var temp = $"{holder}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, who, new UTF8Encoding(false));
        File.Move(temp, holder, overwrite: true);
        return stream;
    }

    private static ImapiException InUse(string lockFile, string what) => new(ImapiError.StashInUse,
        $"{what} is in use by another duplicator: {Holder(lockFile)} (lock {lockFile}); stop that one first, or give this one its own storage and stash");

    private static string Holder(string lockFile)
    {
        try
        {
            var holder = lockFile + ".holder";
            using var f = new FileStream(holder, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[HolderLimit];
            int n = f.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var text = Encoding.UTF8.GetString(buffer, 0, n);
            return new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "a process that has not said who it is";
        }
    }

    private static partial class Native
    {
        public const int LockExclusive = 2, LockNonBlocking = 4, EWouldBlock = 11;

        [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
        public static partial int flock(int fd, int operation);
    }

    /// <summary>Releases the locks (the OS does it too when the process ends).</summary>
    public void Dispose()
    {
        foreach (var f in _held) f.Dispose();
        _held.Clear();
    }
}
